# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore that cannot destroy, against a real throwaway PostgreSQL cluster: restore into a
new database, swap in one transaction, swap back, clean up what was set aside."""

from __future__ import annotations

import json
import os

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg_swap as swap
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the test venv")

FIXTURE = """
CREATE TABLE dbpatch (id bigint PRIMARY KEY, currentversion text, currentpatch int);
INSERT INTO dbpatch VALUES (1, 'OMERO5.4', 0);
CREATE TABLE image (id bigint PRIMARY KEY, name text);
INSERT INTO image SELECT g, 'image ' || md5(g::text) FROM generate_series(1, 20000) g;
"""
FINGERPRINT = "SELECT count(*), md5(string_agg(id || name, ',' ORDER BY id)) FROM image"


@pytest.fixture
def live(pg_server, pg_bindir, tmp_path):
    """A database ``live`` with FIXTURE and a store holding one good dump of it."""
    admin = psycopg2.connect(**pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'live%'")
        for (name,) in cur.fetchall():
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        cur.execute("CREATE DATABASE live")
    sql(pg_server, FIXTURE)
    (tmp_path / "store").mkdir()
    base = {
        "login_host": pg_server["host"],
        "login_port": 5432,
        "login_user": pg_server["user"],
        "pg_bin_dir": pg_bindir,
        "database": "live",
        "backup_dir": str(tmp_path / "store"),
    }
    dumped = pg.perform(pg.make_options(dict(base, action="dump")))
    yield {"server": pg_server, "base": base, "backup": dumped["backup"], "admin": admin}
    admin.close()


def sql(server, text, db="live"):
    conn = psycopg2.connect(**dict(server, dbname=db))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(text)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def act(live, action, check_mode=False, **values):
    return pg.perform(pg.make_options(dict(live["base"], action=action, **values)), check_mode)


def databases(live):
    with live["admin"].cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'live%' ORDER BY 1")
        return [row[0] for row in cur.fetchall()]


def truncate_set(live, tmp_path):
    """A copy of the good set whose dump is cut at 60 %, with checksums that match the cut file
    (what a copy interrupted mid-way and then re-summed would look like): only pg_restore finds out."""
    source = tmp_path / "store" / live["backup"]
    name = "live-29990101T000000Z"
    target = tmp_path / "store" / name
    os.mkdir(target)
    data = (source / "live.pgdump").read_bytes()
    (target / "live.pgdump").write_bytes(data[: int(len(data) * 0.6)])
    manifest = json.loads((source / "manifest.json").read_text())
    entries = store.file_entries(str(target), str(target / "live.pgdump"))
    manifest.update(name=name, created="2999-01-01T00:00:00Z", files=entries, sha256=store.set_checksum(entries))
    manifest["total_size"] = sum(e["size"] for e in entries)
    (target / "manifest.json").write_text(json.dumps(manifest))
    (target / "SHA256SUMS").write_text(store.sums_text(entries))
    return name


def test_a_truncated_dump_fails_and_the_live_database_is_untouched(live, tmp_path):
    before = sql(live["server"], FINGERPRINT)
    truncated = truncate_set(live, tmp_path)
    assert act(live, "verify", backup=truncated)["backup"] == truncated  # checksums agree: only the restore can tell
    with pytest.raises(store.BackupError, match=r"FAILED, the live database live is untouched \(the partial copy"):
        act(live, "restore", backup=truncated)
    assert sql(live["server"], FINGERPRINT) == before
    assert databases(live) == ["live"]


def test_restore_swap_swap_back_and_cleanup(live, tmp_path):
    sql(live["server"], "INSERT INTO image VALUES (999999, 'written after the dump')")
    after_dump = sql(live["server"], FINGERPRINT)

    checked = act(live, "restore", check_mode=True)
    assert checked["changed"] and databases(live) == ["live"]
    restored = act(live, "restore")
    target = restored["target_db"]
    assert target.startswith("live_restored_") and restored["total_rows"] == 20001
    assert sql(live["server"], FINGERPRINT) == after_dump  # live untouched until the swap

    planned = act(live, "swap", check_mode=True, target_db=target)
    assert planned["msg"].startswith("would rename live -> live_before_restore_")
    assert databases(live) == ["live", target]

    holder = psycopg2.connect(**dict(live["server"], dbname="live"))
    try:
        with pytest.raises(store.BackupError, match=r"sessions are connected to live.*nothing was renamed"):
            act(live, "swap", target_db=target)
        assert databases(live) == ["live", target]
        swapped = act(live, "swap", target_db=target, terminate_sessions=True)
    finally:
        holder.close()
    assert len(swapped["ended_sessions"]) == 1
    aside = swapped["set_aside_db"]
    assert aside.startswith("live_before_restore_") and databases(live) == ["live", aside]
    assert sql(live["server"], FINGERPRINT)[0][0] == 20000  # the backup's data is live
    assert sql(live["server"], FINGERPRINT, aside) == after_dump  # the old live data is kept aside

    back = act(live, "swap_back")
    assert back["set_aside_db"] == aside and back["rolled_back_db"].startswith("live_rolled_back_")
    assert sql(live["server"], FINGERPRINT) == after_dump
    assert databases(live) == ["live", back["rolled_back_db"]]

    kept = act(live, "cleanup")
    assert not kept["changed"] and kept["kept"] == [back["rolled_back_db"]]
    dropped = act(live, "cleanup", set_aside_keep_days=0)
    assert dropped["dropped"] == [back["rolled_back_db"]] and databases(live) == ["live"]
    assert sql(live["server"], FINGERPRINT) == after_dump


def test_swap_refuses_a_database_that_is_not_a_verified_restore(live):
    sql(live["server"], "SELECT 1", "postgres")
    with live["admin"].cursor() as cur:
        cur.execute("CREATE DATABASE live_restored_by_hand")
    with pytest.raises(store.BackupError, match="not a verified restore"):
        act(live, "swap", target_db="live_restored_by_hand")
    with pytest.raises(store.BackupError, match="swap needs target_db"):
        act(live, "swap")
    with pytest.raises(store.BackupError, match="no live_before_restore_\\* database to go back to"):
        act(live, "swap_back")
    assert databases(live) == ["live", "live_restored_by_hand"]


def test_both_renames_or_none(live, monkeypatch):
    """The second rename fails (a session on the restored copy): the first is rolled back."""
    target = act(live, "restore")["target_db"]
    monkeypatch.setattr(swap, "end_sessions", lambda opts, names: [])
    holder = psycopg2.connect(**dict(live["server"], dbname=target))
    try:
        with pytest.raises(store.BackupError, match="nothing was renamed, the live database live is unchanged"):
            act(live, "swap", target_db=target)
    finally:
        holder.close()
    assert databases(live) == ["live", target]
    assert sql(live["server"], FINGERPRINT)[0][0] == 20000
