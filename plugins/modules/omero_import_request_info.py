#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


from __future__ import annotations

DOCUMENTATION = r"""
module: omero_import_request_info
short_description: List the requests of the in-place import queue
version_added: 0.1.0
description:
  - Returns the requests of the import queue (database C(omero_import)), newest first, with their state,
    progress (filesets done of total), message, timestamps and the history of their states (C(events)).
  - Changes nothing. Requests are submitted, cancelled and retried with
    M(bioimage.omero.omero_import_request).
extends_documentation_fragment:
  - bioimage.omero.omero_cache_db
  - bioimage.omero.omero_import_queue
attributes:
  check_mode:
    support: full
    description: Reads only.
options:
  name:
    description:
      - Only the request of this name.
    type: str
  states:
    description:
      - Only requests in these states.
    type: list
    elements: str
    choices: [queued, syncing, importing, done, failed, cancelled]
    default: []
  limit:
    description:
      - At most this many requests (the newest).
    type: int
    default: 200
author:
  - bioimage.omero developers (@bioimage-omero)
"""

EXAMPLES = r"""
- name: List the failed requests
  bioimage.omero.omero_import_request_info:
    login_db: omero_import
    session_role: omero_import
    states: [failed]
  register: failed
"""

RETURN = r"""
requests:
  description: The requests, newest first, each with its C(events) (C(at), C(state), C(message)).
  returned: always
  type: list
  elements: dict
  sample: [{"id": 3, "name": "alice-exp42", "state": "importing", "filesets_done": 12, "filesets_total": 50,
            "events": [{"at": "2026-12-07T09:00:00+00:00", "state": "queued", "message": "submitted"}]}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_module as cm
from ansible_collections.bioimage.omero.plugins.module_utils import _import_queue as iq


def main():
    spec = cm.db_argument_spec()
    spec.update(
        login_db={"type": "str", "default": "omero_import"},
        name={"type": "str"},
        states={"type": "list", "elements": "str", "choices": list(iq.STATES), "default": []},
        limit={"type": "int", "default": 200},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    cm.require_psycopg2(module)
    conn = cm.connect_or_fail(module, "the import operations database")
    try:
        conn.set_session(readonly=True)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('import_request') IS NOT NULL")
            rows = iq.list_requests(cur, p["states"], p["limit"], p["name"]) if cur.fetchone()[0] else []
            requests = [dict(iq.jsonable(r), events=iq.events(cur, r["id"])) for r in rows]
    except Exception as exc:
        module.fail_json(msg=f"cannot read the import queue: {exc}")
    finally:
        conn.close()
    module.exit_json(changed=False, requests=requests)


if __name__ == "__main__":
    main()
