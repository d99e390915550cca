# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared, durable queue of Bio-Formats cache regeneration targets.

One table row per (run, target) in a small operations database (tables: ``_cache_schema``).
Workers on every OMERO node claim rows with ``FOR UPDATE SKIP LOCKED`` and hold a lease that
they renew while the command runs; a lease that is not renewed (dead node) returns the row to
the queue. Finished rows are never claimed again. Progress and reports: ``_cache_report``.

Also installed on the OMERO nodes (host_tools) for the workers: imports nothing from Ansible.
"""

from __future__ import annotations

import io
import re

TARGET_RE = re.compile(r"^(Image|Dataset|Plate|Screen|Project|Fileset):[0-9]+$")
RUN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
TAIL_CHARS = 2000


class QueueError(Exception):
    """A request the queue refuses (bad run name, bad target...)."""


def check_run_name(run):
    if not RUN_RE.match(run or ""):
        raise QueueError(f"run name {run!r} must match {RUN_RE.pattern}")


def normalise_targets(targets):
    """Accept strings, ``(target, weight)`` pairs or dicts; validate each target."""
    out = {}
    for item in targets:
        if isinstance(item, dict):
            target, weight = item.get("target"), item.get("weight", 1)
        elif isinstance(item, (list, tuple)):
            target, weight = item[0], (item[1] if len(item) > 1 else 1)
        else:
            target, weight = item, 1
        target = str(target).strip()
        if not TARGET_RE.match(target):
            raise QueueError(f"target {target!r} is not of the form Type:ID (e.g. Image:123)")
        try:
            weight = float(weight)
        except (TypeError, ValueError) as exc:
            raise QueueError(f"weight {weight!r} of {target} is not a number") from exc
        out[target] = max(weight, 0.0)
    return out


def read_targets_file(text):
    """Lines ``TARGET`` or ``TARGET<whitespace>WEIGHT``; blank lines and ``#`` comments skipped."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        items.append(tuple(line.split()[:2]))
    return normalise_targets(items)


def get_run(cur, run):
    cur.execute(
        "SELECT name, state, max_attempts, lease_seconds, created_at FROM cache_regen_run WHERE name = %s",
        (run,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip(("name", "state", "max_attempts", "lease_seconds", "created_at"), row))


def start_run(cur, run, targets, max_attempts=3, lease_seconds=300):
    """Create the run (or keep it) and add the targets it does not hold yet.

    Returns a dict with ``created``, ``added``, ``state_before``, ``state``.
    Finished targets are never reset: resuming is just starting again.
    """
    check_run_name(run)
    targets = normalise_targets(targets)
    before = get_run(cur, run)
    if before is None:
        cur.execute(
            "INSERT INTO cache_regen_run (name, state, max_attempts, lease_seconds) VALUES (%s, 'running', %s, %s)",
            (run, max_attempts, lease_seconds),
        )
    else:
        cur.execute(
            "UPDATE cache_regen_run SET state = 'running', max_attempts = %s, lease_seconds = %s,"
            " updated_at = clock_timestamp()"
            " WHERE name = %s AND (state, max_attempts, lease_seconds) IS DISTINCT FROM ('running', %s, %s)",
            (max_attempts, lease_seconds, run, max_attempts, lease_seconds),
        )
    settings_changed = before is not None and cur.rowcount > 0
    added = 0
    if targets:
        cur.execute("CREATE TEMPORARY TABLE cache_regen_load (target text PRIMARY KEY, weight double precision)")
        buf = io.StringIO("".join(f"{t}\t{w!r}\n" for t, w in targets.items()))
        cur.copy_expert("COPY cache_regen_load (target, weight) FROM STDIN", buf)
        # Priority = expected seconds: the duration measured in an earlier run
        # when there is one, else the weight scaled by the seconds per unit of
        # weight seen so far (or the weight itself when nothing is known).
        cur.execute(
            """
            WITH scale AS (
                SELECT COALESCE(SUM(h.duration) / NULLIF(SUM(l.weight), 0), 1) AS s
                FROM cache_regen_load l JOIN cache_regen_history h ON h.target = l.target
            )
            INSERT INTO cache_regen_target (run, target, weight, priority)
            SELECT %s, l.target, l.weight, COALESCE(h.duration, l.weight * scale.s)
            FROM cache_regen_load l CROSS JOIN scale
            LEFT JOIN cache_regen_history h ON h.target = l.target
            ON CONFLICT (run, target) DO NOTHING
            """,
            (run,),
        )
        added = cur.rowcount
        cur.execute("DROP TABLE cache_regen_load")
    return {
        "created": before is None,
        "added": added,
        "state_before": None if before is None else before["state"],
        "state": "running",
        "settings_changed": settings_changed,
    }


def set_state(cur, run, state):
    """Set ``running`` or ``stopped``; returns (previous state, changed)."""
    if state not in ("running", "stopped"):
        raise QueueError(f"state {state!r} must be running or stopped")
    before = get_run(cur, run)
    if before is None:
        raise QueueError(f"run {run!r} does not exist; start it first")
    if before["state"] == state:
        return before["state"], False
    cur.execute(
        "UPDATE cache_regen_run SET state = %s, updated_at = clock_timestamp() WHERE name = %s",
        (state, run),
    )
    if state == "stopped":
        # Claims of workers that will never report back (node already down)
        # return at once; live workers release theirs when they are stopped.
        cur.execute(
            "UPDATE cache_regen_target SET status = 'pending', attempts = GREATEST(attempts - 1, 0),"
            " node = NULL, worker = NULL, lease_expires = NULL"
            " WHERE run = %s AND status = 'running' AND lease_expires < clock_timestamp()",
            (run,),
        )
    return before["state"], True


def expire_leases(cur):
    """Fail the expired claims that have no attempt left (the others are re-claimable)."""
    cur.execute(
        """
        UPDATE cache_regen_target t
        SET status = 'failed', result = 'lease expired', lease_expires = NULL,
            finished_at = clock_timestamp()
        FROM cache_regen_run r
        WHERE r.name = t.run AND t.status = 'running'
          AND t.lease_expires < clock_timestamp() AND t.attempts >= r.max_attempts
        """
    )
    return cur.rowcount


def claim(conn, node, worker):
    """Claim the most expensive claimable target of the oldest running run.

    Returns a dict (run, target, attempt, lease_seconds) or None.
    """
    with conn, conn.cursor() as cur:
        expire_leases(cur)
        cur.execute(
            """
            WITH c AS (
                SELECT t.run, t.target, r.lease_seconds
                FROM cache_regen_target t JOIN cache_regen_run r ON r.name = t.run
                WHERE r.state = 'running'
                  AND (t.status = 'pending'
                       OR (t.status = 'running' AND t.lease_expires < clock_timestamp()))
                ORDER BY r.created_at, t.priority DESC, t.target
                LIMIT 1
                FOR UPDATE OF t SKIP LOCKED
            )
            UPDATE cache_regen_target t
            SET status = 'running', node = %s, worker = %s, attempts = t.attempts + 1,
                claimed_at = clock_timestamp(), finished_at = NULL,
                lease_expires = clock_timestamp() + make_interval(secs => c.lease_seconds)
            FROM c WHERE t.run = c.run AND t.target = c.target
            RETURNING t.run, t.target, t.attempts, c.lease_seconds
            """,
            (node, worker),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return dict(zip(("run", "target", "attempt", "lease_seconds"), row))


def heartbeat(conn, job, worker):
    """Renew the lease; False when the claim was lost (expired and taken)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE cache_regen_target SET lease_expires = clock_timestamp() + make_interval(secs => %s)"
            " WHERE run = %s AND target = %s AND worker = %s AND status = 'running'",
            (job["lease_seconds"], job["run"], job["target"], worker),
        )
        return cur.rowcount == 1


def finish(conn, job, worker, success, result, duration, output):
    """Record an attempt. Returns the new status (done, pending for a retry, failed) or None if not owned."""
    tail = (output or "")[-TAIL_CHARS:]
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            UPDATE cache_regen_target t
            SET status = CASE WHEN %(ok)s THEN 'done'
                              WHEN t.attempts >= r.max_attempts THEN 'failed'
                              ELSE 'pending' END,
                result = %(result)s, duration = %(duration)s, output_tail = %(tail)s,
                lease_expires = NULL, finished_at = clock_timestamp()
            FROM cache_regen_run r
            WHERE r.name = t.run AND t.run = %(run)s AND t.target = %(target)s
              AND t.worker = %(worker)s AND t.status = 'running'
            RETURNING t.status
            """,
            {
                "ok": bool(success),
                "result": result,
                "duration": duration,
                "tail": tail,
                "run": job["run"],
                "target": job["target"],
                "worker": worker,
            },
        )
        row = cur.fetchone()
        if row and success:
            cur.execute(
                "INSERT INTO cache_regen_history (target, duration) VALUES (%s, %s)"
                " ON CONFLICT (target) DO UPDATE SET duration = EXCLUDED.duration, updated_at = clock_timestamp()",
                (job["target"], duration),
            )
    return row[0] if row else None


def release(conn, job, worker):
    """Give an interrupted claim back without counting the attempt."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE cache_regen_target SET status = 'pending', attempts = GREATEST(attempts - 1, 0),"
            " node = NULL, worker = NULL, lease_expires = NULL"
            " WHERE run = %s AND target = %s AND worker = %s AND status = 'running'",
            (job["run"], job["target"], worker),
        )
        return cur.rowcount == 1


def outstanding(conn):
    """Targets of running runs not finished yet (pending, or claimed by someone)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM cache_regen_target t JOIN cache_regen_run r ON r.name = t.run"
            " WHERE r.state = 'running' AND t.status IN ('pending', 'running')"
        )
        return cur.fetchone()[0]
