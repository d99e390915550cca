# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_import_request as a module against a real PostgreSQL (the queue and OMERO's tables in one database)."""

from __future__ import annotations

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cq
from ansible_collections.bioimage.omero.plugins.modules import omero_import_request, omero_import_request_info
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_module

OMERO_TABLES = """
CREATE TABLE experimenter (id int8 PRIMARY KEY, omename varchar(255) NOT NULL UNIQUE);
CREATE TABLE dataset (id int8 PRIMARY KEY, name varchar(255) NOT NULL);
CREATE TABLE screen (id int8 PRIMARY KEY, name varchar(255) NOT NULL);
CREATE TABLE project (id int8 PRIMARY KEY, name varchar(255) NOT NULL);
INSERT INTO experimenter VALUES (0, 'root'), (2, 'alice');
INSERT INTO dataset VALUES (51, 'd');
INSERT INTO screen VALUES (61, 's');
INSERT INTO project VALUES (71, 'p');
"""


@pytest.fixture
def ops(fresh_db):
    conn = cq.connect(fresh_db)
    with conn, conn.cursor() as cur:
        cur.execute(OMERO_TABLES)
    conn.close()
    return {
        "login_db": fresh_db["dbname"],
        "omero_db": fresh_db["dbname"],
        "login_unix_socket": fresh_db["host"],
        "login_user": fresh_db["user"],
    }


def count(fresh_db):
    conn = cq.connect(fresh_db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('import_request') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT count(*) FROM import_request")
        n = cur.fetchone()[0]
    conn.close()
    return n


def info_args(ops, **kw):
    return dict({k: v for k, v in ops.items() if k != "omero_db"}, **kw)


GOOD = {"name": "exp1", "path": "lab1/alice/exp1", "omero_user": "alice", "target": "Dataset:51"}


def test_submit_check_mode_idempotence(ops, fresh_db, capsys):
    dry = run_module(omero_import_request, dict(ops, _ansible_check_mode=True, **GOOD), capsys)
    assert dry["changed"] and dry["request"]["state"] == "queued"
    assert count(fresh_db) is None  # check mode created nothing, not even the tables
    first = run_module(omero_import_request, dict(ops, **GOOD), capsys)
    assert first["changed"] and first["state_before"] is None and first["request"]["transfer"] == "ln"
    again = run_module(omero_import_request, dict(ops, **GOOD), capsys)
    assert not again["changed"] and again["state_before"] == "queued"
    other = run_module(omero_import_request, dict(ops, **dict(GOOD, target="Screen:61")), capsys)
    assert other["failed"] and "use a new name" in other["msg"]
    assert count(fresh_db) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"omero_user": "mallory"}, "omero_user 'mallory' does not exist"),
        ({"target": "Dataset:9999"}, "Dataset:9999 does not exist"),
        ({"target": "Screen:1"}, "Screen:1 does not exist"),
        ({"path": "/etc/ssh"}, "outside the buffer root"),
        ({"path": "lab1/alice/../../etc"}, "'..'"),
        ({"target": "Project:1"}, "Project:1 does not exist"),
        ({"dataset": "d"}, "only for a Project target"),
        ({"transfer": "upload"}, "transfer"),
    ],
)
def test_bad_requests_fail_and_change_nothing(ops, fresh_db, capsys, change, words):
    run_module(omero_import_request, dict(ops, **dict(GOOD, name="keep")), capsys)
    out = run_module(omero_import_request, dict(ops, **dict(GOOD, **change)), capsys)
    assert out["failed"] and words in out["msg"]
    assert count(fresh_db) == 1


def test_project_target(ops, capsys):
    out = run_module(omero_import_request, dict(ops, **dict(GOOD, target="Project:71")), capsys)
    assert out["changed"] and out["request"]["target_type"] == "Project"
    assert out["request"]["dataset_name"] == "exp1"
    named = dict(GOOD, name="exp1b", target="Project:name:new project", dataset="day 1")
    out = run_module(omero_import_request, dict(ops, **named), capsys)
    assert out["changed"] and out["request"]["dataset_name"] == "day 1"


def test_cancel_retry_info(ops, capsys):
    run_module(omero_import_request, dict(ops, **GOOD), capsys)
    dry = run_module(omero_import_request, dict(ops, name="exp1", state="cancelled", _ansible_check_mode=True), capsys)
    assert dry["changed"] and dry["request"]["state"] == "cancelled"
    info = run_module(omero_import_request_info, info_args(ops, name="exp1"), capsys)
    assert not info["changed"] and info["requests"][0]["state"] == "queued"
    out = run_module(omero_import_request, dict(ops, name="exp1", state="cancelled"), capsys)
    assert out["changed"] and out["state_before"] == "queued" and out["request"]["state"] == "cancelled"
    assert not run_module(omero_import_request, dict(ops, name="exp1", state="cancelled"), capsys)["changed"]
    out = run_module(omero_import_request, dict(ops, name="exp1", state="queued"), capsys)
    assert out["changed"] and out["request"]["state"] == "queued"
    assert not run_module(omero_import_request, dict(ops, name="exp1", state="queued"), capsys)["changed"]
    info = run_module(omero_import_request_info, info_args(ops, states=["queued"]), capsys)
    assert [r["name"] for r in info["requests"]] == ["exp1"]
    assert [e["state"] for e in info["requests"][0]["events"]] == ["queued", "cancelled", "queued"]
    out = run_module(omero_import_request, dict(ops, name="nope", state="cancelled"), capsys)
    assert out["failed"] and "does not exist" in out["msg"]
    assert run_module(omero_import_request_info, info_args(ops, states=["done"]), capsys)["requests"] == []
    assert run_module(omero_import_request_info, info_args(ops, name="other"), capsys)["requests"] == []
    out = run_module(omero_import_request_info, info_args(ops, states=["running"]), capsys)
    assert out["failed"] and "states" in out["msg"]


def test_info_before_any_request(ops, capsys):
    out = run_module(omero_import_request_info, info_args(ops), capsys)
    assert out.get("requests") == [] and not out["changed"], out


def test_checks_can_be_skipped(ops, capsys):
    out = run_module(omero_import_request, dict(ops, omero_db="", **dict(GOOD, omero_user="unknown")), capsys)
    assert out["changed"]
