# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of bench/cache_regen/run.sh (durations, queue set-up, measures)."""

from __future__ import annotations

import random
import sys
import time

import psycopg2


def durations(path, count=200, seed=7):
    """Skewed (Pareto) durations: most targets well under a second, a few several seconds."""
    rnd = random.Random(seed)
    with open(path, "w") as fh:
        for i in range(count):
            d = min(6.0, 0.12 * rnd.paretovariate(1.3)) + 0.08
            fh.write(f"Image:{1000 + i} {d:.2f}\n")


def read(path):
    out = []
    with open(path) as fh:
        for line in fh:
            t, d = line.split()
            out.append((t, float(d)))
    return out


def bound(path, slots):
    d = [duration for _target, duration in read(path)]
    return max(sum(d) / slots, *d), sum(d), max(d)


def load(dsn, path, run):
    """Queue the targets as a second regeneration would see them: durations known from the first."""
    # PYTHONPATH holds the worker code exactly as the host_tools role installs it.
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as q
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema

    conn = psycopg2.connect(dsn)
    _cache_schema.ensure_schema(conn)
    items = read(path)
    with conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO cache_regen_history (target, duration) VALUES (%s, %s)"
            " ON CONFLICT (target) DO UPDATE SET duration = EXCLUDED.duration",
            items,
        )
        q.start_run(cur, run, [(target, 1) for target, _duration in items], max_attempts=1, lease_seconds=60)
    conn.close()


def wait(dsn, run, timeout=600):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    end = time.monotonic() + timeout
    with conn.cursor() as cur:
        while time.monotonic() < end:
            cur.execute(
                "SELECT count(*) FILTER (WHERE status IN ('pending', 'running')),"
                " count(*) FILTER (WHERE status = 'failed'),"
                " EXTRACT(EPOCH FROM max(finished_at) - min(claimed_at)) FROM cache_regen_target WHERE run = %s",
                (run,),
            )
            left, failed, span = cur.fetchone()
            if left == 0:
                print(f"{float(span):.3f} {failed}")
                return
            time.sleep(0.2)
    raise SystemExit("timeout waiting for the queue")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "durations":
        durations(sys.argv[2])
    elif cmd == "bound":
        lb, total, longest = bound(sys.argv[2], int(sys.argv[3]))
        print(f"{lb:.3f} {total:.3f} {longest:.3f}")
    elif cmd == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "wait":
        wait(sys.argv[2], sys.argv[3])
