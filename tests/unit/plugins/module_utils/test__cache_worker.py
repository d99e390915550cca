# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worker loop with a real command and a real PostgreSQL."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as q
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_report as cache_report
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cache_schema
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_worker as w

# fresh_db (tests/unit/conftest.py): a new database per test in a throwaway PostgreSQL cluster.


@pytest.mark.parametrize(
    ("output", "rc", "expected"),
    [
        ("ok: 1 0.5 \n", 0, (True, "ok")),
        ("miss: 1 0.1 x\n", 0, (False, "miss")),
        ("fill: 1 3.2 \n", 0, (True, "fill")),
        ("ok: 1 0.2 \nfill: 2 0.3 \n", 0, (True, "fill")),
        ("ok: 1 0.2 \nfail: 2 0.3 boom\n", 0, (False, "fail")),
        ("cancel: 1 0.3 \n", 0, (False, "cancel")),
        ("", 0, (False, "no status line")),
        ("ok: 1 0.1 \n", 2, (False, "exit 2")),
        ("Traceback (most recent call last):\n  x\nok: 1 0.1\n", 0, (False, "error")),
        ("-! Connection refused\n", 0, (False, "no status line")),
    ],
)
def test_parse_output(output, rc, expected):
    assert w.parse_output(output, rc) == expected


def test_build_argv_fills_placeholders_without_a_shell():
    assert w.build_argv("{omero} render test --force {target}", "Image:1", "/v/bin/omero") == [
        "/v/bin/omero",
        "render",
        "test",
        "--force",
        "Image:1",
    ]
    assert w.build_argv("/bin/echo hi", "Image:2") == ["/bin/echo", "hi", "Image:2"]


SCRIPT = """#!/bin/sh
# $1 = target; fails once for Image:2, always for Image:3.
echo "$1 $OMERO_CACHE_REGEN_ATTEMPT $OMERO_CACHE_REGEN_NODE" >> "{marks}"
sleep "${{SLEEP:-0}}"
case "$1:$OMERO_CACHE_REGEN_ATTEMPT" in
  Image:2:1|Image:3:*) echo "fail: 1 0.1 broken"; exit 0 ;;
esac
echo "ok: 1 0.1 "
"""


@pytest.fixture
def command(tmp_path):
    marks = tmp_path / "marks"
    script = tmp_path / "cmd.sh"
    script.write_text(SCRIPT.format(marks=marks))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), marks


def _status(params, run):
    c = cache_schema.connect(params)
    with c, c.cursor() as cur:
        st = cache_report.status(cur, run)
    c.close()
    return st


def test_workers_finish_everything_with_retries(fresh_db, command):
    script, marks = command
    c = cache_schema.connect(fresh_db)
    cache_schema.ensure_schema(c)
    with c, c.cursor() as cur:
        q.start_run(cur, "r", [f"Image:{i}" for i in range(1, 9)], max_attempts=2)
    c.close()
    cfg = {"database": fresh_db, "command": script + " {target}", "node": "n1", "poll_seconds": 0.2}
    threads = [threading.Thread(target=w.Worker(cfg, s, log=lambda _m: None).run) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    st = _status(fresh_db, "r")
    assert st["counts"] == {"pending": 0, "running": 0, "done": 7, "failed": 1}
    assert [f["target"] for f in st["failures"]] == ["Image:3"]
    lines = marks.read_text().splitlines()
    runs = {}
    for line in lines:
        target = line.split()[0]
        runs[target] = runs.get(target, 0) + 1
    assert runs == {
        "Image:1": 1,
        "Image:2": 2,
        "Image:3": 2,
        "Image:4": 1,
        "Image:5": 1,
        "Image:6": 1,
        "Image:7": 1,
        "Image:8": 1,
    }


def test_stop_request_releases_the_claim_and_kills_the_command(fresh_db, command):
    script, marks = command
    c = cache_schema.connect(fresh_db)
    cache_schema.ensure_schema(c)
    with c, c.cursor() as cur:
        q.start_run(cur, "r", ["Image:1"])
    c.close()
    os.environ["SLEEP"] = "30"
    try:
        worker = w.Worker({"database": fresh_db, "command": script + " {target}", "node": "n1"}, 1, log=lambda _m: None)
        t = threading.Thread(target=worker.run)
        t.start()
        deadline = time.monotonic() + 10
        while not (marks.exists() and worker.proc is not None) and time.monotonic() < deadline:
            time.sleep(0.1)
        started = time.monotonic()
        worker.request_stop()
        t.join(20)
        assert time.monotonic() - started < 15
    finally:
        del os.environ["SLEEP"]
    st = _status(fresh_db, "r")
    assert st["counts"]["pending"] == 1
    c = cache_schema.connect(fresh_db)
    with c, c.cursor() as cur:
        cur.execute("SELECT attempts, worker FROM cache_regen_target")
        assert cur.fetchone() == (0, None)
    c.close()
