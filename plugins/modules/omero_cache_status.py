#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


from __future__ import annotations

DOCUMENTATION = r"""
module: omero_cache_status
short_description: Progress and CSV report of a Bio-Formats cache regeneration run
version_added: 0.1.0
description:
  - Reads one run of the shared cache regeneration queue (see M(bioimage.omero.omero_cache_queue)),
    giving counts per status, percent finished, an ETA, targets per minute per node and the failed
    targets with the tail of their output.
  - With O(report_dest), writes a CSV with one row per target (status, result, attempts, node, worker,
    duration, times, weight, output tail) exactly as the queue holds it.
extends_documentation_fragment:
  - bioimage.omero.omero_cache_db
  - bioimage.omero.omero_cache_db.operations_db
attributes:
  check_mode:
    support: full
    description: Reads only; the report file is not written.
  diff_mode:
    support: none
    description: No diff is returned.
options:
  run:
    description:
      - Name of the run.
    type: str
    required: true
  report_dest:
    description:
      - Write the CSV report to this file on the managed host (an absolute path; atomically, only when it
        changed).
    type: path
  mode:
    description:
      - Mode of O(report_dest).
    type: raw
    default: "0644"
author:
  - bioimage.omero developers (@bioimage-omero)
"""

EXAMPLES = r"""
- name: How far is the run?
  bioimage.omero.omero_cache_status:
    login_db: omero_ops
    run: release-2026-11
  register: regen

- name: CSV of every target
  bioimage.omero.omero_cache_status:
    login_db: omero_ops
    run: release-2026-11
    report_dest: /var/lib/omero-cache-regen/release-2026-11.csv
"""

RETURN = r"""
status:
  description: Progress of the run.
  returned: always
  type: dict
  contains:
    run:
      description: Run name.
      type: str
    state:
      description: C(running) (workers may claim) or C(stopped).
      type: str
    total:
      description: Targets in the run.
      type: int
    counts:
      description: Targets per status (C(pending), C(running), C(done), C(failed)).
      type: dict
    finished:
      description: C(done) plus C(failed).
      type: int
    complete:
      description: Every target is done or failed.
      type: bool
    percent:
      description: Finished targets in percent.
      type: float
    elapsed_seconds:
      description: Seconds since the first claim.
      type: float
    makespan_seconds:
      description: First claim to last finish, once complete.
      type: float
    eta_seconds:
      description: Estimated seconds left at the current rate (null while nothing has finished or the run
        is stopped).
      type: float
    nodes:
      description: Per node, C(done), C(failed), C(busy_seconds) and C(targets_per_minute).
      type: dict
    failures:
      description: Failed targets with C(target), C(result), C(attempts), C(node), C(output_tail).
      type: list
    max_attempts:
      description: Attempts per target.
      type: int
    lease_seconds:
      description: Lease length.
      type: int
  sample:
    run: release-2026-11
    state: running
    total: 34
    counts: {"pending": 10, "running": 6, "done": 17, "failed": 1}
    percent: 52.94
report_dest:
  description: The CSV file, when O(report_dest) was given.
  returned: when O(report_dest) is set
  type: str
rows:
  description: Number of rows (targets) in the CSV report.
  returned: when O(report_dest) is set
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_module as cm
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as cq
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_report as cache_report
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import ABSOLUTE_PATH


def main():
    spec = cm.db_argument_spec()
    spec.update(
        run={"type": "str", "required": True},
        report_dest={"type": "path"},
        mode={"type": "raw", "default": "0644"},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    cm.check_options(module, {"report_dest": ABSOLUTE_PATH})
    cm.require_psycopg2(module)
    conn = cm.connect_or_fail(module, "the operations database")
    try:
        with conn, conn.cursor() as cur:
            # One snapshot for the status and the report, so they agree.
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            status = cache_report.status(cur, p["run"])
            rows = cache_report.report_rows(cur, p["run"]) if p["report_dest"] else None
    except cq.QueueError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:
        msg = f"cannot read the queue: {exc}"
        if "cache_regen_run" in str(exc):
            msg += " (no run was ever started in this database)"
        module.fail_json(msg=msg)
    finally:
        conn.close()
    result = {"changed": False, "status": status}
    if rows is not None:
        result.update(report_dest=p["report_dest"], rows=len(rows))
        result["changed"] = cm.write_file_option(
            module, "report_dest", cache_report.rows_to_csv(rows), ".omero-cache-report."
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
