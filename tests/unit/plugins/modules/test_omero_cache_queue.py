# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_cache_queue and omero_cache_status run as modules against a real PostgreSQL."""

from __future__ import annotations

import csv

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as q
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cache_schema
from ansible_collections.bioimage.omero.plugins.modules import omero_cache_queue, omero_cache_status
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_module


@pytest.fixture
def ops(fresh_db):
    return {"login_db": fresh_db["dbname"], "login_unix_socket": fresh_db["host"], "login_user": fresh_db["user"]}


def test_start_is_idempotent_and_check_mode_changes_nothing(ops, fresh_db, capsys):
    targets = ["Image:1", {"target": "Image:2", "weight": 4}]
    dry = run_module(omero_cache_queue, dict(ops, run="r1", targets=targets, _ansible_check_mode=True), capsys)
    assert dry["changed"] and dry["created"] and dry["added"] == 2
    conn = cache_schema.connect(fresh_db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('cache_regen_run')")
        assert cur.fetchone()[0] is None
    conn.close()
    first = run_module(omero_cache_queue, dict(ops, run="r1", targets=targets), capsys)
    assert first["changed"] and first["created"] and first["added"] == 2 and first["state"] == "started"
    again = run_module(omero_cache_queue, dict(ops, run="r1", targets=targets), capsys)
    assert not again["changed"] and again["state_before"] == "started"
    stop = run_module(omero_cache_queue, dict(ops, run="r1", state="stopped"), capsys)
    assert stop["changed"] and stop["state_before"] == "started"
    stop = run_module(omero_cache_queue, dict(ops, run="r1", state="stopped"), capsys)
    assert not stop["changed"]
    resume = run_module(omero_cache_queue, dict(ops, run="r1"), capsys)
    assert resume["changed"] and resume["added"] == 0 and resume["state_before"] == "stopped"


def test_targets_file_and_bad_target(ops, tmp_path, capsys):
    f = tmp_path / "ids.txt"
    f.write_text("Image:5\nDataset:6 3\n")
    out = run_module(omero_cache_queue, dict(ops, run="r", targets_file=str(f)), capsys)
    assert out["added"] == 2
    out = run_module(omero_cache_queue, dict(ops, run="r", targets=["Image:1;reboot"]), capsys)
    assert out["failed"] and "Type:ID" in out["msg"]


def test_stopping_an_unknown_run_fails_clearly(ops, capsys):
    run_module(omero_cache_queue, dict(ops, run="other"), capsys)
    out = run_module(omero_cache_queue, dict(ops, run="nope", state="stopped"), capsys)
    assert out["failed"] and "does not exist" in out["msg"]


def test_status_and_report(ops, fresh_db, tmp_path, capsys):
    run_module(omero_cache_queue, dict(ops, run="r", targets=["Image:1", "Image:2"], max_attempts=1), capsys)
    conn = cache_schema.connect(fresh_db)
    job = q.claim(conn, "node1", "w")
    q.finish(conn, job, "w", False, "fail", 0.5, "fail: 3 0.5 boom")
    conn.close()
    report = tmp_path / "r.csv"
    out = run_module(omero_cache_status, dict(ops, run="r", report_dest=str(report)), capsys)
    assert out["changed"] and out["rows"] == 2
    st = out["status"]
    assert st["counts"] == {"pending": 1, "running": 0, "done": 0, "failed": 1} and st["percent"] == 50.0
    assert st["failures"][0]["target"] == job["target"]
    rows = list(csv.DictReader(report.open()))
    assert {r["target"]: r["status"] for r in rows} == {
        job["target"]: "failed",
        **{t: "pending" for t in ("Image:1", "Image:2") if t != job["target"]},
    }
    again = run_module(omero_cache_status, dict(ops, run="r", report_dest=str(report)), capsys)
    assert not again["changed"]
    missing = run_module(omero_cache_status, dict(ops, run="nope"), capsys)
    assert missing["failed"] and "does not exist" in missing["msg"]
    nowhere = str(tmp_path / "no-such-dir" / "r.csv")
    out = run_module(omero_cache_status, dict(ops, run="r", report_dest=nowhere), capsys)
    assert out["failed"] and f"directory {tmp_path / 'no-such-dir'} of report_dest does not exist" in out["msg"]


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        (omero_cache_queue, {"login_port": 70000}, "login_port must be a TCP port number from 1 to 65535, got 70000"),
        (omero_cache_queue, {"login_port": 0}, "login_port must be a TCP port number from 1 to 65535, got 0"),
        (
            omero_cache_queue,
            {"connect_timeout": 0},
            "connect_timeout must be a number of seconds greater than 0, got 0",
        ),
        (omero_cache_queue, {"login_unix_socket": "run/postgresql"}, "login_unix_socket must be an absolute path"),
        (omero_cache_queue, {"max_attempts": 0}, "max_attempts must be an integer of at least 1, got 0"),
        (
            omero_cache_queue,
            {"lease_seconds": 2},
            "lease_seconds must be an integer of at least 3 (workers renew a lease every third of it), got 2",
        ),
        (omero_cache_queue, {"targets_file": "ids.txt"}, "targets_file must be an absolute path"),
        (omero_cache_status, {"report_dest": "report.csv"}, "report_dest must be an absolute path"),
        (omero_cache_status, {"connect_timeout": -3}, "connect_timeout must be a number of seconds greater than 0"),
    ],
)
def test_options_outside_their_domain_are_refused_before_connecting(module, args, message, capsys):
    # No database behind these options: the refusal must come before any connection attempt.
    out = run_module(module, dict({"login_db": "omero_ops", "login_host": "127.0.0.1", "run": "r"}, **args), capsys)
    assert out["failed"]
    assert out["msg"].startswith(message)
