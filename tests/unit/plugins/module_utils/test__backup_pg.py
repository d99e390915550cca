# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dump, verify, drill, prune, restore against a real throwaway PostgreSQL cluster."""

from __future__ import annotations

import datetime
import json
import os
import pwd
import shutil
import subprocess

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg_catalogue as catalogue
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg_client as client
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the test venv")

SECRET = "Backup-S3cret-do-not-leak"
FIXTURE = """
CREATE TABLE dbpatch (id bigint PRIMARY KEY, currentversion text, currentpatch int, previousversion text,
  previouspatch int);
INSERT INTO dbpatch VALUES (1, 'OMERO5.3', 0, 'OMERO0', 0), (2, 'OMERO5.4', 0, 'OMERO5.3', 0);
CREATE TABLE image (id bigint PRIMARY KEY, name text);
INSERT INTO image SELECT g, 'image ' || md5(g::text) FROM generate_series(1, 3000) g;
CREATE TABLE pixels (id bigint PRIMARY KEY, image bigint REFERENCES image, sizex int);
INSERT INTO pixels SELECT g, g, g % 1024 FROM generate_series(1, 3000) g;
CREATE TABLE "Odd Name" (id int);
INSERT INTO "Odd Name" VALUES (1), (2);
CREATE TABLE session (id bigint PRIMARY KEY);
"""


@pytest.fixture(scope="module")
def cluster(pg_server, pg_bindir):
    """Databases omero (with FIXTURE) and emptydb in the throwaway cluster of tests/unit/conftest.py."""
    sock, user = pg_server["host"], pg_server["user"]
    admin = psycopg2.connect(**pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        for db in ("omero", "emptydb"):
            cur.execute(f"CREATE DATABASE {db}")
    admin.close()
    with psycopg2.connect(host=sock, port=5432, user=user, dbname="omero") as db, db.cursor() as cur:
        cur.execute(FIXTURE)
    return {"login_host": sock, "login_port": 5432, "login_user": user, "pg_bin_dir": pg_bindir}


def opts(cluster, tmp_path, **values):
    base = dict(cluster, backup_dir=str(tmp_path / "store"), status_file=str(tmp_path / "status.json"))
    base.update(values)
    (tmp_path / "store").mkdir(exist_ok=True)
    return pg.make_options(base)


def query(cluster, sql, db="omero"):
    conn = psycopg2.connect(host=cluster["login_host"], port=5432, user=cluster["login_user"], dbname=db)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def test_dump_writes_a_complete_private_set_with_manifest(cluster, tmp_path):
    result = pg.perform(opts(cluster, tmp_path, action="dump"))
    assert result["changed"] and result["tables"] == 5 and result["total_rows"] == 6004
    set_dir = tmp_path / "store" / result["backup"]
    assert sorted(os.listdir(tmp_path / "store")) == [".lock", result["backup"]]
    assert sorted(os.listdir(set_dir)) == ["SHA256SUMS", "manifest.json", "omero.pgdump"]
    for name in os.listdir(set_dir):
        assert (set_dir / name).stat().st_mode & 0o777 == 0o600
    assert set_dir.stat().st_mode & 0o777 == 0o700
    manifest = json.loads((set_dir / "manifest.json").read_text())
    assert manifest["status"] == "good"
    assert manifest["omero_schema"] == {"version": "OMERO5.4", "patch": 0}
    assert manifest["tables"] == {
        "public.Odd Name": 2,
        "public.dbpatch": 2,
        "public.image": 3000,
        "public.pixels": 3000,
        "public.session": 0,
    }
    assert manifest["postgresql_version"].split(".")[0] == manifest["pg_dump_version"].split()[-1].split(".")[0]
    subprocess.run(["sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"], cwd=set_dir, check=True)
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["dump"]["ok"] and status["dump"]["backup"] == result["backup"]


def test_verify_drill_and_restore(cluster, tmp_path):
    dumped = pg.perform(opts(cluster, tmp_path, action="dump"))
    verified = pg.perform(opts(cluster, tmp_path, action="verify"))
    assert verified["backup"] == dumped["backup"] and not verified["changed"]
    drill = pg.perform(opts(cluster, tmp_path, action="drill"))
    assert drill["mismatches"] == [] and drill["tables_checked"] == 5 and drill["total_rows"] == 6004
    assert drill["omero_schema"] == {"version": "OMERO5.4", "patch": 0}
    assert query(cluster, "SELECT count(*) FROM pg_database WHERE datname = 'omero_drill'", "postgres") == [(0,)]

    restored = pg.perform(opts(cluster, tmp_path, action="restore", target_db="restored"))
    assert restored["changed"] and restored["total_rows"] == 6004 and restored["target_db"] == "restored"
    same = (
        "SELECT md5(string_agg(i.id || i.name || p.sizex, ',' ORDER BY i.id))"
        " FROM image i JOIN pixels p ON p.image = i.id"
    )
    assert query(cluster, same, "restored") == query(cluster, same, "omero")

    with pytest.raises(store.BackupError, match="already exists: a restore writes into a new database only"):
        pg.perform(opts(cluster, tmp_path, action="restore", target_db="restored"))
    drop(cluster, "restored")


def drop(cluster, *names):
    admin = psycopg2.connect(host=cluster["login_host"], port=5432, user=cluster["login_user"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        for name in names:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def test_directory_format_with_parallel_jobs(cluster, tmp_path):
    result = pg.perform(opts(cluster, tmp_path, action="dump", format="directory", jobs=2))
    manifest = json.loads((tmp_path / "store" / result["backup"] / "manifest.json").read_text())
    assert manifest["format"] == "directory" and len(manifest["files"]) > 2
    assert pg.perform(opts(cluster, tmp_path, action="drill", jobs=2))["mismatches"] == []


def test_corrupt_dump_fails_verify_and_drill(cluster, tmp_path):
    result = pg.perform(opts(cluster, tmp_path, action="dump"))
    dump = tmp_path / "store" / result["backup"] / "omero.pgdump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(store.BackupError, match="sha256 mismatch"):
        pg.perform(opts(cluster, tmp_path, action="verify"))
    with pytest.raises(store.BackupError, match="failed verification"):
        pg.perform(opts(cluster, tmp_path, action="drill"))
    with pytest.raises(
        store.BackupError,
        match=r"failed verification, not restoring \(the live database omero is untouched\): .*sha256 mismatch",
    ):
        pg.perform(opts(cluster, tmp_path, action="restore", target_db="never_restored"))
    status = json.loads((tmp_path / "status.json").read_text())
    assert not status["verify"]["ok"] and not status["drill"]["ok"]


def test_empty_and_suspiciously_small_dumps_are_rejected_and_not_kept(cluster, tmp_path):
    with pytest.raises(store.BackupError, match="holds no table data"):
        pg.perform(opts(cluster, tmp_path, action="dump", database="emptydb"))
    good = pg.perform(opts(cluster, tmp_path, action="dump"))
    query(cluster, "CREATE TABLE IF NOT EXISTS tiny (id int); INSERT INTO tiny VALUES (1)", "emptydb")
    with pytest.raises(store.BackupError, match="suspiciously small"):
        pg.perform(opts(cluster, tmp_path, action="dump", database="emptydb"))
    assert sorted(os.listdir(tmp_path / "store")) == [".lock", good["backup"]]
    accepted = pg.perform(opts(cluster, tmp_path, action="dump", database="emptydb", min_size_ratio=0))
    assert accepted["tables"] == 1
    query(cluster, "DROP TABLE tiny", "emptydb")


def test_unreachable_database_leaves_nothing_and_deletes_nothing(cluster, tmp_path):
    first = pg.perform(opts(cluster, tmp_path, action="dump"))
    with pytest.raises(store.BackupError, match="cannot connect"):
        pg.perform(opts(cluster, tmp_path, action="dump", login_port=1))
    with pytest.raises(store.BackupError, match="cannot connect"):
        pg.perform(opts(cluster, tmp_path, action="dump", database="no_such_db"))
    assert sorted(os.listdir(tmp_path / "store")) == [".lock", first["backup"]]
    assert json.loads((tmp_path / "status.json").read_text())["dump"]["last_success"]


def test_stale_temporaries_are_cleared_by_the_next_run(cluster, tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / ".tmp-omero-20200101T000000Z").mkdir()
    (tmp_path / "store" / ".tmp-omero-20200101T000000Z" / "omero.pgdump").write_bytes(b"half")
    result = pg.perform(opts(cluster, tmp_path, action="dump"))
    assert sorted(os.listdir(tmp_path / "store")) == [".lock", result["backup"]]


def test_prune_on_real_sets(cluster, tmp_path):
    first = pg.perform(opts(cluster, tmp_path, action="dump"))
    source = tmp_path / "store" / first["backup"]
    for stamp in ("2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "2026-02-01T00:00:00Z"):
        name = "omero-" + stamp.replace("-", "").replace(":", "")
        shutil.copytree(source, tmp_path / "store" / name)
        manifest = json.loads((source / "manifest.json").read_text())
        manifest.update(created=stamp, name=name)
        (tmp_path / "store" / name / "manifest.json").write_text(json.dumps(manifest))
    checked = pg.perform(opts(cluster, tmp_path, action="prune", keep_daily=2, keep_weekly=0, keep_monthly=0), True)
    assert checked["deleted"] == ["omero-20260101T120000Z", "omero-20260101T000000Z"]
    assert checked["kept"] == [first["backup"], "omero-20260201T000000Z"]
    assert len(os.listdir(tmp_path / "store")) == 5
    assert checked["diff"]["before"].count("\n") == 4 and checked["diff"]["after"].count("\n") == 2
    pruned = pg.perform(opts(cluster, tmp_path, action="prune", keep_daily=1, keep_weekly=0, keep_monthly=0))
    assert pruned["kept"] == [first["backup"]]
    assert sorted(os.listdir(tmp_path / "store")) == [".lock", first["backup"]]
    assert not pg.perform(opts(cluster, tmp_path, action="prune"))["changed"]


def test_prune_keeps_the_newest_failed_set_and_removes_older_ones_past_their_age(cluster, tmp_path):
    first = pg.perform(opts(cluster, tmp_path, action="dump"))
    source = tmp_path / "store" / first["backup"]
    now = store.utcnow()
    for days, status in ((40, "failed"), (20, "failed"), (3, "failed"), (1, None)):
        name = store.set_name("omero", now - datetime.timedelta(days=days))
        shutil.copytree(source, tmp_path / "store" / name)
        manifest_path = tmp_path / "store" / name / "manifest.json"
        if status is None:  # incomplete: no readable manifest; its age is the directory's
            manifest_path.unlink()
            stamp = (now - datetime.timedelta(days=days)).timestamp()
            os.utime(tmp_path / "store" / name, (stamp, stamp))
        else:
            manifest = json.loads(manifest_path.read_text())
            manifest.update(created=store.format_time(now - datetime.timedelta(days=days)), status=status, name=name)
            manifest_path.write_text(json.dumps(manifest))
    names = sorted(n for n in os.listdir(tmp_path / "store") if not n.startswith("."))
    pruned = pg.perform(opts(cluster, tmp_path, action="prune", failed_max_age_days=14))
    assert pruned["kept"] == [first["backup"]] and pruned["deleted"] == []
    assert pruned["not_good"] == [names[3], names[2]]  # the incomplete one (newest) and the 3-day-old one
    assert pruned["deleted_not_good"] == [names[1], names[0]]
    assert sorted(os.listdir(tmp_path / "store")) == sorted([".lock", first["backup"], names[2], names[3]])
    assert pg.perform(opts(cluster, tmp_path, action="list"))["newest_good"] == first["backup"]
    again = pg.perform(opts(cluster, tmp_path, action="prune", failed_max_age_days=0))
    assert again["deleted_not_good"] == [names[2]]
    assert sorted(os.listdir(tmp_path / "store")) == sorted([".lock", first["backup"], names[3]])


def test_owner_option_chowns_the_set(cluster, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("SKIPPED: chown test because it needs root")
    result = pg.perform(opts(cluster, tmp_path, action="dump", owner="nobody"))
    set_dir = tmp_path / "store" / result["backup"]
    nobody = pwd.getpwnam("nobody").pw_uid
    assert {(set_dir / n).stat().st_uid for n in os.listdir(set_dir)} == {nobody}
    assert set_dir.stat().st_uid == nobody


def test_the_password_travels_in_the_environment_only(cluster, tmp_path, monkeypatch):
    seen = []
    real_popen, real_run = subprocess.Popen, subprocess.run

    def popen(argv, *args, **kwargs):
        seen.append((list(argv), kwargs.get("env", {})))
        return real_popen(argv, *args, **kwargs)

    def run(argv, *args, check=False, **kwargs):
        seen.append((list(argv), kwargs.get("env", {})))
        return real_run(argv, *args, check=check, **kwargs)

    monkeypatch.setattr(client.subprocess, "Popen", popen)
    monkeypatch.setattr(client.subprocess, "run", run)
    for action in ("dump", "verify", "drill"):
        result = pg.perform(opts(cluster, tmp_path, action=action, login_password=SECRET))
        assert SECRET not in json.dumps(result)
    assert seen
    for argv, env in seen:
        assert not any(SECRET in part for part in argv)
        assert env.get("PGPASSWORD") == SECRET
    for path in [tmp_path / "status.json", *(tmp_path / "store").rglob("*")]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


def test_client_env_replaces_inherited_settings(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "inherited")
    monkeypatch.setenv("PGHOST", "elsewhere")
    env = client.client_env(pg.make_options({"backup_dir": "/x", "passfile": "/etc/omero-backup/pgpass"}))
    assert "PGPASSWORD" not in env and "PGHOST" not in env
    assert env["PGPASSFILE"] == "/etc/omero-backup/pgpass" and env["PGPORT"] == "5432"


def test_toc_parsing():
    toc = """;
; Archive created at 2026-11-21 01:30:00 UTC
215; 1259 16385 TABLE public image omero
3345; 0 16385 TABLE DATA public image omero
3346; 0 16390 TABLE DATA public dbpatch omero
3347; 0 16390 SEQUENCE SET public seq_image omero
3348; 0 16399 TABLE DATA public Odd Name omero
"""
    assert catalogue.toc_table_data(toc) == ["public.image", "public.dbpatch", "public.Odd Name"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "backup_dir is required"),
        ({"backup_dir": "/x", "action": "explode"}, "action must be one of"),
        ({"backup_dir": "/x", "format": "tar"}, "format must be custom or directory"),
        ({"backup_dir": "/x", "jobs": 4}, "jobs > 1 needs format: directory"),
        ({"backup_dir": "/x", "jobs": 0}, "jobs must be >= 1"),
        ({"backup_dir": "/x", "min_size_ratio": 2}, "min_size_ratio must be between 0 and 1"),
        ({"backup_dir": "/x", "keep_daily": -1}, "keep_daily must be >= 0"),
        ({"backup_dir": "/x", "scratch_db": "omero"}, "scratch_db must differ"),
        ({"backup_dir": "/x", "target_db": "omero"}, "target_db must differ"),
        ({"backup_dir": "/x", "set_aside_db": "postgres"}, "set_aside_db must differ"),
        ({"backup_dir": "/x", "failed_max_age_days": -1}, "failed_max_age_days must be >= 0"),
        ({"backup_dir": "/x", "set_aside_keep_days": -2}, "set_aside_keep_days must be >= 0"),
        ({"backup_dir": "/x", "bogus": 1}, "unknown option"),
    ],
)
def test_bad_options_are_refused(values, message):
    with pytest.raises(store.BackupError, match=message):
        pg.make_options(values)


def test_missing_store_is_reported(tmp_path):
    with pytest.raises(store.BackupError, match="does not exist"):
        pg.perform(pg.make_options({"backup_dir": str(tmp_path / "nope"), "action": "dump"}))


def test_disk_errors_become_clear_failures(tmp_path, monkeypatch):
    import errno

    def full(options, check_mode):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(pg.DISPATCH, "prune", full)
    with pytest.raises(store.BackupError, match=r"No space left on device.*backup disk is full"):
        pg.perform(
            pg.make_options({"backup_dir": str(tmp_path), "action": "prune", "status_file": str(tmp_path / "s")})
        )
    assert not json.loads((tmp_path / "s").read_text())["prune"]["ok"]
