#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


from __future__ import annotations

DOCUMENTATION = r"""
module: omero_import_request
short_description: Submit, cancel or retry in-place import requests of the import queue
version_added: 0.1.0
description:
  - Manages requests of the durable in-place import queue kept in the import operations database
    (tables C(import_request), C(import_fileset), C(import_event), created when missing). The workers
    of the C(bioimage.omero.import_worker) role on the read-write node sync each request's buffer
    directory, split it into filesets and import them as the request's OMERO user.
  - O(state=present) submits a request. Submitting the same O(name) with the same fields again changes
    nothing; with other fields it fails (a request is never rewritten under a worker).
  - O(state=cancelled) cancels a request that is not finished; O(state=queued) queues a failed or
    cancelled request again (filesets already imported stay recorded and are not imported again).
  - M(bioimage.omero.omero_import_request_info) lists requests.
  - Before submitting, the module checks in the OMERO database (O(omero_db), read in a read-only
    transaction) that the OMERO user exists and that a target given by id exists; a bad request fails
    naming the problem and changes nothing. A target given by name is created by the import when
    missing and is not checked; a target deleted after the submission makes the import fail (retried,
    then C(failed) with the message of C(omero import)).
extends_documentation_fragment:
  - bioimage.omero.omero_cache_db
  - bioimage.omero.omero_import_queue
attributes:
  check_mode:
    support: full
    description: The statements run in a transaction that is rolled back.
options:
  name:
    description:
      - Name of the request, unique in the queue (letters, digits, C(.), C(_), C(@), C(-)).
    type: str
    required: true
  state:
    description:
      - C(present) submits, C(cancelled) cancels, C(queued) retries a failed or cancelled request.
    type: str
    choices: [present, cancelled, queued]
    default: present
  path:
    description:
      - The directory to import, C(GROUP/USER/DIRECTORY) relative to the buffer root, or an absolute
        path under O(buffer_root). C(..), C(.), hidden and empty components are refused.
    type: str
  buffer_root:
    description:
      - The buffer root on the buffer host; only used to accept absolute O(path) values.
    type: str
    default: /srv/import-buffer
  omero_user:
    description:
      - OMERO user the files are imported as (through a sudo session of the worker's admin).
    type: str
  target:
    description:
      - Where the images go, C(Dataset:ID), C(Dataset:name:NAME), C(Screen:ID) or C(Screen:name:NAME)
        (the C(omero import -T) forms; a name is created when missing), or C(Project:ID) or
        C(Project:name:NAME).
      - A Project cannot hold images itself, so for a Project target the worker finds the dataset named
        O(dataset) linked to the project, or creates it and links it (as the request's user, with
        C(omero hql) and C(omero obj)), then imports into that dataset. C(Project:name:NAME) is the
        user's project of that name, created when missing.
    type: str
  dataset:
    description:
      - For a Project target only, the name of the dataset in the project; default the name of the
        request's directory (the last component of O(path)).
    type: str
  transfer:
    description:
      - C(ln) (hard links, the default), C(ln_s) (symbolic links, the staging copy then is the data and is
        never removed) or C(cp) (OMERO keeps its own copy).
    type: str
    choices: [ln, ln_s, cp]
    default: ln
  max_attempts:
    description:
      - Failed attempts before the request is marked failed; between attempts the worker waits with an
        exponential back-off.
    type: int
    default: 5
  omero_db:
    description:
      - Name of the OMERO database on the same PostgreSQL server (same connection options), used to check
        the user and the target. Empty to skip the checks.
    type: str
    default: omero
author:
  - bioimage.omero developers (@bioimage-omero)
"""

EXAMPLES = r"""
- name: Import alice's experiment into dataset 51
  bioimage.omero.omero_import_request:
    login_db: omero_import
    session_role: omero_import
    name: alice-exp42
    path: lab1/alice/exp42
    omero_user: alice
    target: Dataset:51

- name: Import bob's plate into a dataset "plate7" of project 12 (found or created and linked)
  bioimage.omero.omero_import_request:
    name: bob-plate7
    path: lab1/bob/plate7
    omero_user: bob
    target: Project:12

- name: Cancel it
  bioimage.omero.omero_import_request:
    name: alice-exp42
    state: cancelled
"""

RETURN = r"""
request:
  description: The request after the call.
  returned: always
  type: dict
  sample: {"id": 3, "name": "alice-exp42", "path": "lab1/alice/exp42", "state": "queued", "filesets_done": 0}
state_before:
  description: State of the request before the call (null when it did not exist).
  returned: always
  type: str
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_module as cm
from ansible_collections.bioimage.omero.plugins.module_utils import _import_queue as iq


def check_in_omero(module, fields):
    """Fail when the OMERO user or the target id does not exist (read-only transaction)."""
    p = module.params
    if not p["omero_db"]:
        return
    try:
        conn = cm.module_connect(dict(p, login_db=p["omero_db"], session_role=None))
    except Exception as exc:
        module.fail_json(msg=f"cannot connect to the OMERO database {p['omero_db']} to check the request: {exc}")
    try:
        conn.set_session(readonly=True)
        with conn, conn.cursor() as cur:
            problem = iq.omero_check(cur, fields)
        if problem:
            module.fail_json(msg=problem)
    finally:
        conn.close()


def main():
    spec = cm.db_argument_spec()
    spec.update(
        login_db={"type": "str", "default": "omero_import"},
        name={"type": "str", "required": True},
        state={"type": "str", "choices": ["present", "cancelled", "queued"], "default": "present"},
        path={"type": "str"},
        buffer_root={"type": "str", "default": "/srv/import-buffer"},
        omero_user={"type": "str"},
        target={"type": "str"},
        dataset={"type": "str"},
        transfer={"type": "str", "choices": list(iq.TRANSFERS), "default": "ln"},
        max_attempts={"type": "int", "default": 5},
        omero_db={"type": "str", "default": "omero"},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("state", "present", ("path", "omero_user", "target"))],
    )
    p = module.params
    cm.require_psycopg2(module)
    if p["max_attempts"] < 1:
        module.fail_json(msg="max_attempts must be at least 1")
    fields = None
    if p["state"] == "present":
        try:
            fields = iq.validate_request(
                p["name"], p["path"], p["omero_user"], p["target"], p["transfer"], p["buffer_root"], p["dataset"]
            )
        except iq.QueueError as exc:
            module.fail_json(msg=str(exc))
        check_in_omero(module, fields)

    conn = cm.connect_or_fail(module, "the import operations database")
    result = {"request": None, "state_before": None}

    def work(cur):
        if p["state"] == "present":
            before = iq.get_request(cur, p["name"])
            row, changed = iq.submit(cur, fields, p["max_attempts"])
            result["state_before"] = before["state"] if before else None
            result["request"] = iq.jsonable(row)
        else:
            action = iq.cancel if p["state"] == "cancelled" else iq.retry
            before, changed = action(cur, p["name"])
            result["state_before"] = before["state"]
            result["request"] = iq.jsonable(iq.get_request(cur, p["name"]))
        return changed

    cm.apply_in_transaction(module, conn, iq, work, result, "import queue update", iq.QueueError)


if __name__ == "__main__":
    main()
