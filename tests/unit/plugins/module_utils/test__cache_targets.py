# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Target lists from a real PostgreSQL holding OMERO's tables and fixture rows."""

from __future__ import annotations

import os

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_targets as ct

# fresh_db (tests/unit/conftest.py): a new database per test in a throwaway PostgreSQL cluster.
psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the test venv")

FIXTURE = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "molecule", "cache_regen", "files", "omero_fixture.sql"
)

BULK = [(f"Image:{2 * g}", 2) for g in range(1001, 1031)]
EXPECTED = {
    "fileset": [("Image:101", 3), ("Image:104", 1), ("Image:110", 10), ("Image:201", 2), *BULK],
    "plate": [("Image:110", 4), ("Image:115", 5)],
    "dataset": [("Dataset:1", 3), ("Dataset:2", 2), ("Dataset:3", 0)],
}


@pytest.fixture
def omero_db(fresh_db):
    conn = psycopg2.connect(**fresh_db)
    with conn, conn.cursor() as cur, open(FIXTURE) as fh:
        cur.execute(fh.read())
    yield conn
    conn.close()


@pytest.mark.parametrize("kind", ct.KINDS)
def test_each_kind_lists_exactly_the_expected_targets(omero_db, kind):
    with omero_db.cursor() as cur:
        per_kind = ct.from_sql(cur, [kind])
    assert per_kind[kind] == EXPECTED[kind]


def test_plates_and_datasets_merge_without_duplicates_and_count(omero_db):
    with omero_db.cursor() as cur:
        per_kind = ct.from_sql(cur, ["fileset", "plate", "dataset"])
    targets = ct.merge(per_kind)
    names = [t["target"] for t in targets]
    assert len(names) == len(set(names))
    # Image:110 is both the first image of fileset 3 and of plate 1: listed once, as a fileset.
    assert {"target": "Image:110", "weight": 10, "kind": "fileset"} in targets
    assert ct.counts(per_kind, targets) == {"fileset": 34, "plate": 2, "dataset": 3, "total": 34 + 1 + 3}
    text = ct.list_text(targets)
    assert text.splitlines()[:2] == ["Image:101", "Image:104"]
    assert text.endswith("Dataset:3\n")


def test_unknown_kind_is_refused():
    with pytest.raises(ct.TargetsError, match="each must be one of"):
        ct.check_kinds(["screen"])
    with pytest.raises(ct.TargetsError):
        ct.check_kinds([])


def test_hql_needs_a_running_server():
    pytest.skip(
        "SKIPPED: HQL target listing through omero-py because no OMERO.server can run on this machine "
        "(the release archive and the Ice C++ runtime are not downloadable)"
    )
