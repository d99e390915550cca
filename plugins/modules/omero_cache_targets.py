#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


from __future__ import annotations

DOCUMENTATION = r"""
module: omero_cache_targets
short_description: List the objects whose Bio-Formats cache must be regenerated
version_added: 0.1.0
description:
  - Lists the targets of a Bio-Formats cache regeneration from the OMERO database, the way IDR's
    runbook does by hand, and optionally writes them to a file (one target per line, the format
    C(parallel -a) and M(bioimage.omero.omero_cache_queue) read).
  - C(fileset) gives the first image of every fileset (C(Image:ID)); C(plate) gives the first image of
    every plate through WellSample (C(Image:ID)); C(dataset) gives every dataset (C(Dataset:ID)).
  - Each target carries a weight, the number of images behind it, which the queue uses to start the
    biggest targets first.
  - O(source=sql) reads OMERO's tables directly (no OMERO.server needed; connect as a role that can read
    them, for example C(postgres) over the unix socket with C(become_user=postgres)).
    O(source=hql) asks a running OMERO.server through omero-py.
extends_documentation_fragment:
  - bioimage.omero.omero_cache_db
attributes:
  check_mode:
    support: full
    description: Queries run; the list file is not written.
  diff_mode:
    support: none
    description: No diff is returned.
options:
  login_db:
    description:
      - The OMERO database (used with O(source=sql)).
    type: str
    default: omero
  kinds:
    description:
      - Which targets to list. IDR lists C(fileset); for very large databases it lists C(plate) and
        C(dataset) instead.
    type: list
    elements: str
    choices: [fileset, plate, dataset]
    default: [fileset]
  source:
    description:
      - C(sql) queries the OMERO database tables; C(hql) queries a running OMERO.server.
    type: str
    choices: [sql, hql]
    default: sql
  omero_host:
    description:
      - OMERO.server host for O(source=hql).
    type: str
    default: localhost
  omero_port:
    description:
      - OMERO.server port for O(source=hql), 1 to 65535.
    type: int
    default: 4064
  omero_user:
    description:
      - OMERO user for O(source=hql). Required with O(source=hql).
    type: str
  omero_password:
    description:
      - Password of O(omero_user). Required with O(source=hql).
    type: str
  omero_group:
    description:
      - OMERO group to query in; C(-1) means all groups.
    type: str
    default: "-1"
  dest:
    description:
      - Write the list to this file on the managed host (an absolute path; atomically, only when it changed).
    type: path
  mode:
    description:
      - Mode of O(dest).
    type: raw
    default: "0644"
  return_targets:
    description:
      - Return the list (with weights) in RV(targets). Turn off for millions of targets and load
        O(dest) into the queue instead.
    type: bool
    default: true
author:
  - bioimage.omero developers (@bioimage-omero)
"""

EXAMPLES = r"""
- name: First image of every fileset, from the database
  become: true
  become_user: postgres
  bioimage.omero.omero_cache_targets:
    login_db: omero
    kinds: [fileset]
    dest: /var/lib/omero-cache-regen/targets.txt
  register: targets

- name: Plates and datasets through a running OMERO.server
  bioimage.omero.omero_cache_targets:
    source: hql
    omero_host: localhost
    omero_user: public
    omero_password: "{{ omero_public_password }}"
    kinds: [plate, dataset]
  no_log: true
"""

RETURN = r"""
counts:
  description: Targets per kind (before de-duplication) and the de-duplicated C(total).
  returned: always
  type: dict
  sample: {"fileset": 34, "total": 34}
targets:
  description: The targets, in query order, de-duplicated across kinds.
  returned: when O(return_targets=true)
  type: list
  elements: dict
  contains:
    target:
      description: C(Type:ID) as C(omero render test) takes it.
      type: str
    weight:
      description: Number of images behind the target.
      type: int
    kind:
      description: The kind that listed it first.
      type: str
  sample: [{"target": "Image:101", "weight": 3, "kind": "fileset"}]
dest:
  description: The list file, when O(dest) was given.
  returned: when O(dest) is set
  type: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_module as cm
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_targets as ct
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import ABSOLUTE_PATH, PORT

try:
    import omero  # noqa: F401  # pylint: disable=unused-import  # presence check for source=hql

    HAS_OMERO = True
    OMERO_ERROR = None
except ImportError:
    HAS_OMERO = False
    OMERO_ERROR = traceback.format_exc()


def list_with_sql(module):
    cm.require_psycopg2(module)
    conn = cm.connect_or_fail(module, "database")
    try:
        with conn, conn.cursor() as cur:
            # Never change anything in the OMERO database, whatever role we are.
            cur.execute("SET TRANSACTION READ ONLY")
            return ct.from_sql(cur, module.params["kinds"])
    except Exception as exc:
        module.fail_json(msg=f"target query failed: {exc}")
    finally:
        conn.close()


def list_with_hql(module):
    if not HAS_OMERO:
        module.fail_json(msg=missing_required_lib("omero-py"), exception=OMERO_ERROR)
    p = module.params
    client = None
    try:
        client, query = ct.hql_session(p["omero_host"], p["omero_port"], p["omero_user"], p["omero_password"])
        return ct.from_hql(query, p["kinds"], p["omero_group"])
    except Exception as exc:
        module.fail_json(msg=f"HQL target query on {p['omero_host']}:{p['omero_port']} failed: {exc}")
    finally:
        if client is not None:
            client.closeSession()


def main():
    spec = cm.db_argument_spec()
    spec["login_db"] = {"type": "str", "default": "omero"}
    spec.update(
        kinds={"type": "list", "elements": "str", "choices": list(ct.KINDS), "default": ["fileset"]},
        source={"type": "str", "choices": ["sql", "hql"], "default": "sql"},
        omero_host={"type": "str", "default": "localhost"},
        omero_port={"type": "int", "default": 4064},
        omero_user={"type": "str"},
        omero_password={"type": "str", "no_log": True},
        omero_group={"type": "str", "default": "-1"},
        dest={"type": "path"},
        mode={"type": "raw", "default": "0644"},
        return_targets={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("source", "hql", ("omero_user", "omero_password"))],
    )
    p = module.params
    cm.check_options(module, {"omero_port": PORT, "dest": ABSOLUTE_PATH})
    try:
        ct.check_kinds(p["kinds"])
    except ct.TargetsError as exc:
        module.fail_json(msg=f"kinds: {exc}")
    per_kind = list_with_sql(module) if p["source"] == "sql" else list_with_hql(module)
    targets = ct.merge(per_kind)
    result = {"changed": False, "counts": ct.counts(per_kind, targets)}
    if p["return_targets"]:
        result["targets"] = targets
    if p["dest"]:
        result["dest"] = p["dest"]
        result["changed"] = cm.write_file_option(module, "dest", ct.list_text(targets), ".omero-cache-targets.")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
