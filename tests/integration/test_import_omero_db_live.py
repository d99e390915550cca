# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_import_request's checks (user, target) against a real OMERO database.

The molecule scenario and the unit tests run the checks against tables made with OMERO's table
and column names (no OMERO.server here to create the real schema). This test runs the same
queries (``_import_queue.omero_check``) against the database of a real OMERO.server, named by

  BIOIMAGE_OMERO_TEST_DB   libpq connection string of OMERO's database, read-only is enough
                           (e.g. "host=db dbname=omero user=omero_readonly password=...")

Run: python -m pytest -rs tests/integration/test_import_omero_db_live.py
Without it the run shows one line: SKIPPED ... no OMERO database available ...
"""

from __future__ import annotations

import os

import pytest

DSN = os.environ.get("BIOIMAGE_OMERO_TEST_DB", "")
if not DSN:
    pytest.skip(
        "no OMERO database available (set BIOIMAGE_OMERO_TEST_DB to a libpq connection string of a real"
        " OMERO.server's database to check the import request checks against its schema)",
        allow_module_level=True,
    )

psycopg2 = pytest.importorskip("psycopg2")

from ansible_collections.bioimage.omero.plugins.module_utils import _import_queue as q  # noqa: E402


@pytest.fixture
def cur():
    conn = psycopg2.connect(DSN)
    conn.set_session(readonly=True)
    with conn, conn.cursor() as cursor:
        yield cursor
    conn.close()


@pytest.mark.parametrize("kind", ["Dataset", "Screen", "Project"])
def test_targets_that_exist_pass_and_missing_ones_fail(cur, kind):
    table = q.OMERO_TABLES[kind]
    cur.execute(f"SELECT min(id), max(id) FROM {table}")  # noqa: S608  # fixed names
    low, high = cur.fetchone()
    missing = q.validate_request("live", "a/b/c", "root", f"{kind}:{(high or 0) + 1000}")
    assert q.omero_check(cur, missing) == f"target {kind}:{(high or 0) + 1000} does not exist in OMERO"
    if low is not None:
        assert q.omero_check(cur, q.validate_request("live", "a/b/c", "root", f"{kind}:{low}")) is None


def test_users(cur):
    assert q.omero_check(cur, q.validate_request("live", "a/b/c", "root", "Dataset:name:x")) is None
    unknown = q.validate_request("live", "a/b/c", "no-such-user-bioimage", "Dataset:name:x")
    assert q.omero_check(cur, unknown) == "omero_user 'no-such-user-bioimage' does not exist in OMERO"


def test_the_existing_fileset_query_runs_on_the_real_schema():
    """The worker's resume check (filesetentry.clientpath, image.fileset) against OMERO's own tables."""
    from ansible_collections.bioimage.omero.plugins.module_utils import _import_worker as w

    worker = w.Worker({"omero_database": {"dsn": DSN}}, "live", connect_fn=lambda _cfg: psycopg2.connect(DSN))
    assert worker.existing_fileset("/nonexistent/staging", ["no-such-file-bioimage.tif"]) is None
    worker.omero_db.close()
