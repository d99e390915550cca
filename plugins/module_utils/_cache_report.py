# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Progress of a cache regeneration run (counts, ETA, per-node rates, failures) and its CSV report."""

from __future__ import annotations

import csv
import io

from ansible_collections.bioimage.omero.plugins.module_utils._cache_queue import QueueError, get_run

STATUSES = ("pending", "running", "done", "failed")
REPORT_FIELDS = (
    "run",
    "target",
    "status",
    "result",
    "attempts",
    "node",
    "worker",
    "duration",
    "claimed_at",
    "finished_at",
    "weight",
    "output_tail",
)


def status(cur, run):
    """Progress of a run: counts, percent, ETA, per-node rates, failures."""
    info = get_run(cur, run)
    if info is None:
        raise QueueError(f"run {run!r} does not exist")
    cur.execute("SELECT status, count(*) FROM cache_regen_target WHERE run = %s GROUP BY status", (run,))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(cur.fetchall()))
    total = sum(counts.values())
    finished = counts["done"] + counts["failed"]
    cur.execute(
        """
        SELECT node, count(*) FILTER (WHERE status = 'done'),
               count(*) FILTER (WHERE status = 'failed'),
               COALESCE(sum(duration) FILTER (WHERE status IN ('done', 'failed')), 0),
               EXTRACT(EPOCH FROM max(finished_at) - min(claimed_at))
        FROM cache_regen_target
        WHERE run = %s AND node IS NOT NULL AND status IN ('done', 'failed')
        GROUP BY node ORDER BY node
        """,
        (run,),
    )
    nodes = {}
    for node, done, failed, busy, span in cur.fetchall():
        span = float(span or 0)
        nodes[node] = {
            "done": done,
            "failed": failed,
            "busy_seconds": round(float(busy), 3),
            "targets_per_minute": round((done + failed) * 60.0 / span, 3) if span > 0 else None,
        }
    cur.execute(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(claimed_at)),"
        " EXTRACT(EPOCH FROM max(finished_at) - min(claimed_at)),"
        " COALESCE(sum(priority) FILTER (WHERE status IN ('pending', 'running')), 0),"
        " COALESCE(sum(priority) FILTER (WHERE status IN ('done', 'failed')), 0)"
        " FROM cache_regen_target WHERE run = %s",
        (run,),
    )
    elapsed, span, work_left, work_done = cur.fetchone()
    elapsed = float(elapsed or 0)
    eta = None
    if counts["pending"] + counts["running"] == 0:
        eta = 0.0
    elif finished and elapsed > 0 and info["state"] == "running":
        # Rate measured in expected work units, so a few big targets left
        # do not look like a few minutes of work.
        work_done = float(work_done)
        if work_done > 0:
            eta = round(float(work_left) * elapsed / work_done, 1)
        else:
            eta = round((total - finished) * elapsed / finished, 1)
    cur.execute(
        "SELECT target, result, attempts, node, output_tail FROM cache_regen_target"
        " WHERE run = %s AND status = 'failed' ORDER BY target",
        (run,),
    )
    failures = [
        {"target": t, "result": r, "attempts": a, "node": n, "output_tail": (o or "")[-300:]}
        for t, r, a, n, o in cur.fetchall()
    ]
    return {
        "run": run,
        "state": info["state"],
        "max_attempts": info["max_attempts"],
        "lease_seconds": info["lease_seconds"],
        "total": total,
        "counts": counts,
        "finished": finished,
        "complete": total > 0 and finished == total,
        "percent": round(100.0 * finished / total, 2) if total else 100.0,
        "elapsed_seconds": round(elapsed, 1),
        "makespan_seconds": round(float(span), 3) if span is not None and finished == total else None,
        "eta_seconds": eta,
        "nodes": nodes,
        "failures": failures,
    }


def report_rows(cur, run):
    cur.execute(
        "SELECT run, target, status, result, attempts, node, worker, duration, claimed_at, finished_at,"
        " weight, output_tail FROM cache_regen_target WHERE run = %s ORDER BY target",
        (run,),
    )
    rows = []
    for row in cur.fetchall():
        rec = dict(zip(REPORT_FIELDS, row))
        for key in ("claimed_at", "finished_at"):
            rec[key] = rec[key].isoformat() if rec[key] is not None else ""
        rec["duration"] = "" if rec["duration"] is None else f"{rec['duration']:.3f}"
        rec["weight"] = f"{rec['weight']:g}"
        rows.append({k: ("" if v is None else v) for k, v in rec.items()})
    return rows


def rows_to_csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=REPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
