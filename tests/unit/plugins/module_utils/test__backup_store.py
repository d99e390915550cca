# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup store on real files: atomic writes, checksums, sanity, listing, lock, status."""

from __future__ import annotations

import datetime
import errno
import hashlib
import json
import os

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store

UTC = datetime.timezone.utc


def make_set(root, name, created="2026-11-21T01:30:00Z", status="good", payload=b"PGDMP fake dump"):
    set_dir = root / name
    set_dir.mkdir()
    dump = set_dir / "omero.pgdump"
    dump.write_bytes(payload)
    entries = store.file_entries(str(set_dir), str(dump))
    manifest = {
        "name": name,
        "status": status,
        "created": created,
        "dump": "omero.pgdump",
        "files": entries,
        "total_size": sum(e["size"] for e in entries),
        "sha256": store.set_checksum(entries),
    }
    (set_dir / "manifest.json").write_text(json.dumps(manifest))
    return set_dir, manifest


def test_atomic_write_creates_with_mode_and_replaces(tmp_path):
    target = tmp_path / "status.json"
    store.atomic_write(str(target), b"one")
    assert target.read_bytes() == b"one"
    assert target.stat().st_mode & 0o777 == 0o600
    store.atomic_write(str(target), b"two", 0o644)
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(os.listdir(tmp_path)) == ["status.json"]


def test_atomic_write_failure_keeps_old_content_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "status.json"
    target.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        store.atomic_write(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["status.json"]


def test_file_entries_and_checks_of_a_directory_dump(tmp_path):
    dump = tmp_path / "set" / "omero.dir"
    dump.mkdir(parents=True)
    (dump / "toc.dat").write_bytes(b"toc")
    (dump / "3001.dat.gz").write_bytes(b"x" * 1000)
    entries = store.file_entries(str(tmp_path / "set"), str(dump))
    assert [e["path"] for e in entries] == ["omero.dir/3001.dat.gz", "omero.dir/toc.dat"]
    assert entries[1]["sha256"] == hashlib.sha256(b"toc").hexdigest()
    assert store.sums_text(entries).splitlines()[1] == hashlib.sha256(b"toc").hexdigest() + "  omero.dir/toc.dat"
    manifest = {"files": entries, "sha256": store.set_checksum(entries)}
    assert store.check_files(str(tmp_path / "set"), manifest) == []


def test_check_files_finds_corruption_truncation_and_loss(tmp_path):
    set_dir, manifest = make_set(tmp_path, "omero-20261121T013000Z")
    dump = set_dir / "omero.pgdump"
    dump.write_bytes(b"PGDMP fake dumq")  # same size, one byte differs
    assert store.check_files(str(set_dir), manifest) == ["omero.pgdump: sha256 mismatch"]
    dump.write_bytes(b"PGDMP")
    assert "omero.pgdump has 5 bytes, the manifest says 15" in store.check_files(str(set_dir), manifest)
    dump.unlink()
    assert store.check_files(str(set_dir), manifest) == ["omero.pgdump is missing"]
    assert store.check_files(str(set_dir), {"files": []}) == ["the manifest lists no files"]
    make_set(tmp_path, "other")
    tampered = dict(manifest, sha256="0" * 64)
    dump.write_bytes(b"PGDMP fake dump")
    assert store.check_files(str(set_dir), tampered) == ["the manifest's set checksum does not match its file list"]


@pytest.mark.parametrize(
    ("size", "tables", "previous", "ratio", "expected"),
    [
        (5000, 10, None, 0.5, []),
        (5000, 10, 8000, 0.5, []),
        (5000, 10, 10000, 0.5, []),
        (4999, 10, 10000, 0.5, ["suspiciously small"]),
        (100, 10, 10000, 0.0, []),
        (0, 0, 10000, 0.5, ["empty (0 bytes)", "no table data", "suspiciously small"]),
        (900, 0, None, 0.5, ["no table data"]),
    ],
)
def test_sanity_problems(size, tables, previous, ratio, expected):
    problems = store.sanity_problems(size, tables, previous, ratio)
    assert len(problems) == len(expected)
    for problem, word in zip(problems, expected):
        assert word in problem


def test_list_sets_orders_by_manifest_time_and_ignores_what_is_not_a_set(tmp_path):
    make_set(tmp_path, "omero-20261121T013000Z", created="2026-11-21T01:30:00Z")
    make_set(tmp_path, "omero-20250101T000000Z", created="2025-01-01T00:00:00Z")
    make_set(tmp_path, "omero-20261122T013000Z", created="2026-11-22T01:30:00Z", status="failed")
    broken = tmp_path / "omero-20261123T013000Z"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    (tmp_path / ".tmp-omero-20261124T013000Z").mkdir()
    (tmp_path / "lost+found").mkdir()
    (tmp_path / ".lock").write_text("")
    sets = store.list_sets(str(tmp_path))
    assert [s["name"] for s in sets] == [
        "omero-20261123T013000Z",
        "omero-20250101T000000Z",
        "omero-20261121T013000Z",
        "omero-20261122T013000Z",
    ]
    assert [s["good"] for s in sets] == [False, True, True, False]
    assert store.newest_good(sets)["name"] == "omero-20261121T013000Z"
    assert store.find_set(str(tmp_path), "newest")["name"] == "omero-20261121T013000Z"
    assert store.find_set(str(tmp_path), "omero-20250101T000000Z")["good"]
    with pytest.raises(store.BackupError, match="no backup called 'nope'"):
        store.find_set(str(tmp_path), "nope")
    assert store.list_sets(str(tmp_path / "absent")) == []


def test_find_set_without_a_good_one(tmp_path):
    make_set(tmp_path, "omero-20261122T013000Z", status="failed")
    with pytest.raises(store.BackupError, match="no good backup"):
        store.find_set(str(tmp_path), None)


def test_finalize_set_and_remove_tree(tmp_path):
    temp = tmp_path / ".tmp-omero-20261121T013000Z"
    temp.mkdir()
    (temp / "manifest.json").write_text("{}")
    final = tmp_path / "omero-20261121T013000Z"
    store.finalize_set(str(temp), str(final))
    assert final.is_dir() and not temp.exists()
    other = tmp_path / ".tmp-x"
    other.mkdir()
    with pytest.raises(store.BackupError, match="already exists"):
        store.finalize_set(str(other), str(final))
    assert store.stale_temporaries(str(tmp_path)) == [str(other)]
    store.remove_tree(str(final))
    store.remove_tree(str(other))
    store.remove_tree(str(tmp_path / "never-there"))
    assert os.listdir(tmp_path) == []


def test_chmod_tree(tmp_path):
    root = tmp_path / "set"
    (root / "d").mkdir(parents=True)
    (root / "d" / "f").write_text("x")
    os.chmod(root / "d" / "f", 0o644)
    store.chmod_tree(str(root))
    assert root.stat().st_mode & 0o777 == 0o700
    assert (root / "d").stat().st_mode & 0o777 == 0o700
    assert (root / "d" / "f").stat().st_mode & 0o777 == 0o600


def test_lock_excludes_a_second_holder(tmp_path):
    with (
        store.StoreLock(str(tmp_path), 1),
        pytest.raises(store.BackupError, match="another backup operation holds"),
        store.StoreLock(str(tmp_path), 0),
    ):
        pass
    with store.StoreLock(str(tmp_path), 0):
        pass


def test_status_keeps_the_last_success_when_a_job_fails(tmp_path):
    status_file = tmp_path / "lib" / "status.json"
    store.update_status(str(status_file), "dump", {"ok": True, "message": "fine", "time": "2026-11-21T01:30:00Z"})
    store.update_status(str(status_file), "dump", {"ok": False, "message": "disk full", "time": "2026-11-22T01:30:00Z"})
    store.update_status(str(status_file), "drill", {"ok": True, "message": "passed"})
    data = json.loads(status_file.read_text())
    assert data["dump"] == {
        "ok": False,
        "message": "disk full",
        "time": "2026-11-22T01:30:00Z",
        "last_success": "2026-11-21T01:30:00Z",
    }
    assert data["drill"]["ok"] and data["drill"]["last_success"] == data["drill"]["time"]
    assert status_file.stat().st_mode & 0o777 == 0o644
    store.update_status(None, "dump", {"ok": True})  # no status file: nothing to do


def test_status_file_that_is_not_json_is_replaced(tmp_path):
    status_file = tmp_path / "status.json"
    status_file.write_text("garbage")
    store.update_status(str(status_file), "prune", {"ok": True})
    assert json.loads(status_file.read_text())["prune"]["ok"]


def test_names_and_times():
    when = datetime.datetime(2026, 11, 21, 1, 30, tzinfo=UTC)
    assert store.set_name("omero", when) == "omero-20261121T013000Z"
    assert store.is_set_name("omero-20261121T013000Z") and store.is_set_name("omero-20261121T013000Z-1")
    assert not store.is_set_name("omero-latest") and not store.is_set_name(".tmp-omero-20261121T013000Z")
    assert store.parse_time(store.format_time(when)) == when
