#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


from __future__ import annotations

DOCUMENTATION = r"""
module: omero_cache_queue
short_description: Start, stop or resume a Bio-Formats cache regeneration run in the shared queue
version_added: 0.1.0
description:
  - Manages one run of the shared, durable cache regeneration queue kept in the operations database
    (tables C(cache_regen_run), C(cache_regen_target), C(cache_regen_history), created when missing).
  - O(state=started) creates the run when it does not exist, adds the targets it does not hold yet and
    lets workers claim them. Targets already finished are never reset, so starting again with the same
    list is how a stopped or interrupted run is resumed.
  - O(state=stopped) stops workers from claiming more targets of the run. Workers release what they hold
    when they are stopped (C(systemctl stop)); claims of dead workers come back when their lease expires.
  - The workers themselves are installed and started by the C(bioimage.omero.omero_cache_regen) role.
extends_documentation_fragment:
  - bioimage.omero.omero_cache_db
  - bioimage.omero.omero_cache_db.operations_db
attributes:
  check_mode:
    support: full
    description: The statements run in a transaction that is rolled back.
  diff_mode:
    support: none
    description: No diff is returned.
options:
  run:
    description:
      - Name of the run (letters, digits, C(.), C(_), C(-)). Use a new name for a new regeneration
        (for example the release), the same name to resume.
    type: str
    required: true
  state:
    description:
      - C(started) creates or resumes the run; C(stopped) stops claims.
    type: str
    choices: [started, stopped]
    default: started
  targets:
    description:
      - Targets to add with O(state=started), as C(Type:ID) strings or dicts with C(target) and C(weight)
        (the RV(bioimage.omero.omero_cache_targets#module:targets) list).
    type: list
    elements: raw
    default: []
  targets_file:
    description:
      - File on the managed host (an absolute path) with more targets, one C(Type:ID) per line, optionally
        followed by a weight.
    type: path
  max_attempts:
    description:
      - Attempts per target before it is marked failed (failures are retried up to this count); at least 1.
    type: int
    default: 3
  lease_seconds:
    description:
      - Seconds a claim stays valid without a heartbeat. Workers renew it every third of it; a node that
        dies gives its targets back after this long. At least 3.
    type: int
    default: 300
author:
  - bioimage.omero developers (@bioimage-omero)
"""

EXAMPLES = r"""
- name: Start (or resume) the run for release 2026-11
  bioimage.omero.omero_cache_queue:
    login_db: omero_ops
    session_role: omero_ops
    run: release-2026-11
    targets: "{{ targets.targets }}"
    max_attempts: 3

- name: Stop claiming
  bioimage.omero.omero_cache_queue:
    login_db: omero_ops
    run: release-2026-11
    state: stopped
"""

RETURN = r"""
run:
  description: The run name.
  returned: always
  type: str
created:
  description: Whether the run was created by this call.
  returned: always
  type: bool
added:
  description: Targets added by this call (targets already in the run are not counted).
  returned: always
  type: int
state_before:
  description: State of the run before the call (null when it did not exist).
  returned: always
  type: str
state:
  description: State of the run after the call.
  returned: always
  type: str
  sample: started
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_module as cm
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as cq
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cache_schema
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import ABSOLUTE_PATH, at_least

STATE_WORDS = {"running": "started", "stopped": "stopped", None: None}


def load_targets(module):
    p = module.params
    try:
        targets = cq.normalise_targets(p["targets"])
        if p["targets_file"]:
            with open(p["targets_file"], encoding="utf-8") as fh:
                targets.update(cq.read_targets_file(fh.read()))
    except OSError as exc:
        module.fail_json(msg=f"targets_file: {exc}")
    except cq.QueueError as exc:
        module.fail_json(msg=f"targets: {exc}")
    return list(targets.items())


OPTION_DOMAINS = {
    "max_attempts": at_least(1),
    "lease_seconds": at_least(3, "workers renew a lease every third of it"),
    "targets_file": ABSOLUTE_PATH,
}


def main():
    spec = cm.db_argument_spec()
    spec.update(
        run={"type": "str", "required": True},
        state={"type": "str", "choices": ["started", "stopped"], "default": "started"},
        targets={"type": "list", "elements": "raw", "default": []},
        targets_file={"type": "path"},
        max_attempts={"type": "int", "default": 3},
        lease_seconds={"type": "int", "default": 300},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    cm.check_options(module, OPTION_DOMAINS)
    cm.require_psycopg2(module)
    try:
        cq.check_run_name(p["run"])
    except cq.QueueError as exc:
        module.fail_json(msg=str(exc))
    targets = load_targets(module) if p["state"] == "started" else []

    conn = cm.connect_or_fail(module, "the operations database")
    result = {"run": p["run"], "created": False, "added": 0}

    def work(cur):
        if p["state"] == "started":
            res = cq.start_run(cur, p["run"], targets, p["max_attempts"], p["lease_seconds"])
            result.update(created=res["created"], added=res["added"])
            result["state_before"] = STATE_WORDS[res["state_before"]]
            changed = res["created"] or res["added"] > 0 or res["settings_changed"]
        else:
            before, changed = cq.set_state(cur, p["run"], "stopped")
            result["state_before"] = STATE_WORDS[before]
        result["state"] = p["state"]
        return changed

    cm.apply_in_transaction(module, conn, cache_schema, work, result, "queue update", cq.QueueError)


if __name__ == "__main__":
    main()
