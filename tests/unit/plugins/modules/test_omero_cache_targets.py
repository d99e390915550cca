# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_cache_targets run as a module against a real PostgreSQL holding OMERO's tables."""

from __future__ import annotations

import os

import pytest
from ansible_collections.bioimage.omero.plugins.modules import omero_cache_targets
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_module

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the test venv")
FIXTURE = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "molecule", "cache_regen", "files", "omero_fixture.sql"
)


@pytest.fixture
def omero_db(fresh_db):
    conn = psycopg2.connect(**fresh_db)
    with conn, conn.cursor() as cur, open(FIXTURE) as fh:
        cur.execute(fh.read())
    conn.close()
    return {"login_db": fresh_db["dbname"], "login_unix_socket": fresh_db["host"], "login_user": fresh_db["user"]}


def test_lists_and_writes_then_is_idempotent(omero_db, tmp_path, capsys):
    dest = tmp_path / "ids.txt"
    args = dict(omero_db, kinds=["plate", "dataset"], dest=str(dest))
    first = run_module(omero_cache_targets, args, capsys)
    assert first["rc"] == 0 and first["changed"]
    assert first["counts"] == {"plate": 2, "dataset": 3, "total": 5}
    assert dest.read_text() == "Image:110\nImage:115\nDataset:1\nDataset:2\nDataset:3\n"
    assert first["targets"][1] == {"target": "Image:115", "weight": 5, "kind": "plate"}
    again = run_module(omero_cache_targets, args, capsys)
    assert not again["changed"]


def test_check_mode_does_not_write(omero_db, tmp_path, capsys):
    dest = tmp_path / "ids.txt"
    out = run_module(omero_cache_targets, dict(omero_db, dest=str(dest), _ansible_check_mode=True), capsys)
    assert out["changed"] and not dest.exists()
    assert out["counts"]["fileset"] == 34


def test_dest_in_a_missing_directory_fails_clearly(omero_db, tmp_path, capsys):
    out = run_module(omero_cache_targets, dict(omero_db, dest=str(tmp_path / "no-such-dir" / "ids.txt")), capsys)
    assert out["failed"] and f"directory {tmp_path / 'no-such-dir'} of dest does not exist" in out["msg"]


def test_bad_database_fails_clearly(omero_db, capsys):
    out = run_module(omero_cache_targets, dict(omero_db, login_db="no_such_db"), capsys)
    assert out["failed"] and "cannot connect to database no_such_db" in out["msg"]


def test_hql_needs_credentials(omero_db, capsys):
    out = run_module(omero_cache_targets, dict(omero_db, source="hql"), capsys)
    assert out["failed"] and "omero_user" in out["msg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"omero_port": 70000}, "omero_port must be a TCP port number from 1 to 65535, got 70000"),
        ({"dest": "targets.txt"}, "dest must be an absolute path"),
        ({"login_port": -1}, "login_port must be a TCP port number from 1 to 65535, got -1"),
    ],
)
def test_options_outside_their_domain_are_refused_before_connecting(args, message, capsys):
    out = run_module(omero_cache_targets, dict({"login_host": "127.0.0.1"}, **args), capsys)
    assert out["failed"]
    assert out["msg"].startswith(message)
