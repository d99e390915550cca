# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The durable queue against a real PostgreSQL: claims, leases, retries, stop/resume, report."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as q
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_report as cache_report
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cache_schema

# fresh_db (tests/unit/conftest.py): a new database per test in a throwaway PostgreSQL cluster.


@pytest.fixture
def conn(fresh_db):
    c = cache_schema.connect(fresh_db)
    cache_schema.ensure_schema(c)
    yield c
    c.close()


def start(conn, run, targets, **kw):
    with conn, conn.cursor() as cur:
        return q.start_run(cur, run, targets, **kw)


def test_schema_is_idempotent(conn):
    cache_schema.ensure_schema(conn)
    cache_schema.ensure_schema(conn)


def test_start_adds_targets_once_and_keeps_finished_ones(conn):
    res = start(conn, "r1", ["Image:1", ("Image:2", 5), {"target": "Dataset:3", "weight": 2}])
    assert res["created"] and res["added"] == 3
    job = q.claim(conn, "n1", "w1")
    assert job["target"] == "Image:2"  # heaviest first
    assert q.finish(conn, job, "w1", True, "ok", 1.5, "ok: 1 1.5") == "done"
    res = start(conn, "r1", ["Image:1", "Image:2", "Dataset:3", "Image:4"])
    assert not res["created"] and res["added"] == 1
    with conn, conn.cursor() as cur:
        cur.execute("SELECT status, attempts FROM cache_regen_target WHERE run = 'r1' AND target = 'Image:2'")
        assert cur.fetchone() == ("done", 1)


@pytest.mark.parametrize("bad", ["Image:abc", "Image:1; rm -rf /", "--force", "image:1", ""])
def test_bad_targets_are_refused(conn, bad):
    with pytest.raises(q.QueueError):
        start(conn, "r1", [bad])


def test_bad_run_name_is_refused(conn):
    with pytest.raises(q.QueueError, match="run name"):
        start(conn, "no spaces", ["Image:1"])


def test_targets_file_parsing():
    assert q.read_targets_file("# ids\nImage:1\n\nDataset:2 7\n") == {"Image:1": 1.0, "Dataset:2": 7.0}


def test_priority_uses_durations_of_an_earlier_run(conn):
    start(conn, "old", [("Image:1", 1), ("Image:2", 1)])
    for _claim in range(2):
        job = q.claim(conn, "n", "w")
        q.finish(conn, job, "w", True, "ok", 10.0 if job["target"] == "Image:2" else 1.0, "ok:")
    # Image:1 weighs most now but is known to take 1 s; Image:2 is known to take
    # 10 s; the unknown Image:3 is estimated at (1 + 10) s / (3 + 1) weight = 2.75 s.
    start(conn, "new", [("Image:1", 3), ("Image:2", 1), ("Image:3", 1)])
    order = [q.claim(conn, "n", "w")["target"] for _claim in range(3)]
    assert order == ["Image:2", "Image:3", "Image:1"]


def test_concurrent_claims_never_hand_out_a_target_twice(fresh_db, conn):
    start(conn, "r", [f"Image:{i}" for i in range(200)])
    got, errors = [], []

    def worker(n):
        c = cache_schema.connect(fresh_db)
        try:
            while True:
                job = q.claim(c, "node", f"w{n}")
                if job is None:
                    return
                got.append(job["target"])
                q.finish(c, job, f"w{n}", True, "ok", 0.0, "ok:")
        except Exception as exc:
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(got) == sorted(f"Image:{i}" for i in range(200))


def test_failures_are_retried_up_to_max_attempts(conn):
    start(conn, "r", ["Image:1"], max_attempts=3)
    for attempt in (1, 2, 3):
        job = q.claim(conn, "n", "w")
        assert job["attempt"] == attempt
        new = q.finish(conn, job, "w", False, "fail", 0.1, "fail: 1 0.1 boom")
    assert new == "failed"
    assert q.claim(conn, "n", "w") is None


def test_an_expired_lease_returns_the_target_and_the_dead_worker_cannot_finish_it(conn):
    start(conn, "r", ["Image:1"], lease_seconds=1)
    dead = q.claim(conn, "dead-node", "dead")
    assert q.claim(conn, "n2", "w2") is None  # still leased
    time.sleep(1.3)
    job = q.claim(conn, "n2", "w2")
    assert job["target"] == "Image:1" and job["attempt"] == 2
    assert q.heartbeat(conn, dead, "dead") is False
    assert q.finish(conn, dead, "dead", True, "ok", 1, "") is None
    assert q.finish(conn, job, "w2", True, "ok", 1, "") == "done"


def test_a_lease_expiring_on_the_last_attempt_fails_the_target(conn):
    start(conn, "r", ["Image:1"], max_attempts=1, lease_seconds=1)
    q.claim(conn, "dead-node", "dead")
    time.sleep(1.3)
    assert q.claim(conn, "n", "w") is None
    with conn, conn.cursor() as cur:
        st = cache_report.status(cur, "r")
    assert st["counts"]["failed"] == 1 and st["failures"][0]["result"] == "lease expired"


def test_heartbeat_keeps_the_lease(conn):
    start(conn, "r", ["Image:1"], lease_seconds=1)
    job = q.claim(conn, "n", "w")
    for _beat in range(3):
        time.sleep(0.5)
        assert q.heartbeat(conn, job, "w")
    assert q.claim(conn, "n2", "w2") is None


def test_stop_blocks_claims_and_release_does_not_count_the_attempt(conn):
    start(conn, "r", ["Image:1", "Image:2"])
    job = q.claim(conn, "n", "w")
    with conn, conn.cursor() as cur:
        assert q.set_state(cur, "r", "stopped") == ("running", True)
        assert q.set_state(cur, "r", "stopped") == ("stopped", False)
    assert q.claim(conn, "n", "w2") is None
    assert q.outstanding(conn) == 0
    assert q.release(conn, job, "w")
    with conn, conn.cursor() as cur:
        assert q.set_state(cur, "r", "running") == ("stopped", True)
    jobs = [q.claim(conn, "n", "w"), q.claim(conn, "n", "w")]
    assert {j["target"] for j in jobs} == {"Image:1", "Image:2"}
    assert all(j["attempt"] == 1 for j in jobs)


def test_set_state_of_unknown_run(conn):
    with conn, conn.cursor() as cur, pytest.raises(q.QueueError, match="does not exist"):
        q.set_state(cur, "nope", "stopped")


def test_status_and_csv_report_match_the_queue(conn):
    start(conn, "r", ["Image:1", "Image:2", "Image:3"], max_attempts=1)
    a = q.claim(conn, "node-a", "wa")
    q.finish(conn, a, "wa", True, "fill", 2.0, "fill: 11 2.0 \n")
    b = q.claim(conn, "node-b", "wb")
    q.finish(conn, b, "wb", False, "miss", 1.0, "miss: 12 1.0 gone")
    with conn, conn.cursor() as cur:
        st = cache_report.status(cur, "r")
        rows = cache_report.report_rows(cur, "r")
    assert st["counts"] == {"pending": 1, "running": 0, "done": 1, "failed": 1}
    assert st["percent"] == pytest.approx(66.67)
    assert not st["complete"]
    assert set(st["nodes"]) == {"node-a", "node-b"}
    assert [f["target"] for f in st["failures"]] == [b["target"]]
    parsed = list(csv.DictReader(io.StringIO(cache_report.rows_to_csv(rows))))
    assert [r["target"] for r in parsed] == ["Image:1", "Image:2", "Image:3"]
    by_target = {r["target"]: r for r in parsed}
    assert by_target[a["target"]]["status"] == "done" and by_target[a["target"]]["result"] == "fill"
    assert by_target[b["target"]]["node"] == "node-b" and by_target[b["target"]]["attempts"] == "1"
    assert "gone" in by_target[b["target"]]["output_tail"]
