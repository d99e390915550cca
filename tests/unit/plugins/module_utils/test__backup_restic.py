# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""restic backups of a data directory, with the real restic program on real files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_restic as rs
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store

PASSWORD = "restic-unit-test-Secret-42"

needs_restic = pytest.mark.skipif(
    shutil.which("restic") is None, reason="SKIPPED: restic tests because restic is not installed (apt install restic)"
)


def restic_version():
    """(major, minor) of the installed restic, e.g. (0, 14) on Debian 12, (0, 18) on Debian 13."""
    out = subprocess.run(["restic", "version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in out.split()[1].split(".")[:2])


def fingerprint(root):
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            st = os.lstat(path)
            lines.append(f"{os.path.relpath(path, root)} {oct(st.st_mode)} {st.st_size} {digest}")
    return lines


@pytest.fixture
def setup(tmp_path):
    data = tmp_path / "OMERO"
    (data / "ManagedRepository" / "user-3_3").mkdir(parents=True)
    (data / "ManagedRepository" / "user-3_3" / "plate ü.czi").write_bytes(os.urandom(200000))
    (data / "Files").mkdir()
    for i in range(20):
        (data / "Files" / str(i)).write_bytes(os.urandom(i * 100))
    (data / "BioFormatsCache").mkdir()
    (data / "BioFormatsCache" / "memo").write_bytes(b"regenerable")
    config = tmp_path / "config"
    config.mkdir()
    (config / "10-secrets.omero").write_text("config set -- omero.db.pass 'db-S3cret'\n")
    password_file = tmp_path / "restic-password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    values = {
        "repository": str(tmp_path / "repo"),
        "password_file": str(password_file),
        "paths": [str(data)],
        "config_paths": [str(config)],
        "exclude": [str(data / "BioFormatsCache")],
        "cache_dir": str(tmp_path / "cache"),
        "status_file": str(tmp_path / "status.json"),
    }
    return tmp_path, values


def act(values, action, check_mode=False, **extra):
    return rs.perform(rs.make_options(dict(values, action=action, **extra)), check_mode)


@needs_restic
def test_run_backs_up_checks_and_restores_identical_files(setup, monkeypatch):
    tmp_path, values = setup
    seen = []
    real_run = subprocess.run

    def spy(argv, *args, check=False, **kwargs):
        seen.append(list(argv))
        return real_run(argv, *args, check=check, **kwargs)

    monkeypatch.setattr(rs.subprocess, "run", spy)
    assert act(values, "init", check_mode=True)["changed"]
    assert not os.path.exists(values["repository"])
    first = act(values, "run")
    assert first["initialised"] and first["snapshot"] and first["config_files"] == 1
    assert not act(values, "init")["changed"]
    second = act(values, "run")
    assert second["files_new"] == 0 and not second["initialised"]
    snapshots = act(values, "snapshots")["snapshots"]
    # Retention folds today's two into the newest one. restic 0.16+ also keeps the oldest
    # snapshot while a --keep-daily/weekly/monthly count is not yet reached ("oldest daily").
    assert len(snapshots) == (2 if restic_version() >= (0, 16) else 1)
    assert any(second["snapshot"].startswith(snapshot["id"]) for snapshot in snapshots)  # the newest stays
    before = fingerprint(tmp_path / "OMERO") + fingerprint(tmp_path / "config")
    shutil.rmtree(tmp_path / "OMERO")
    shutil.rmtree(tmp_path / "config")
    restored = act(values, "restore")
    assert restored["changed"]
    after = fingerprint(tmp_path / "OMERO") + fingerprint(tmp_path / "config")
    expected = [line for line in before if "BioFormatsCache" not in line]
    assert after == expected
    assert "db-S3cret" in (tmp_path / "config" / "10-secrets.omero").read_text()
    for argv in seen:
        assert not any(PASSWORD in part for part in argv)
        assert values["repository"] not in argv
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["data_run"]["ok"] and status["data_restore"]["ok"]
    assert PASSWORD not in (tmp_path / "status.json").read_text()


@needs_restic
def test_drill_compares_unchanged_files_and_catches_a_silent_difference(setup):
    tmp_path, values = setup
    act(values, "run")
    drill = act(values, "drill", drill_sample_files=100)
    assert drill["files"] >= 20 and drill["skipped"] == 0 and drill["size"] > 200000
    status = json.loads((tmp_path / "status.json").read_text())["data_drill"]
    assert status["ok"] and status["files"] == drill["files"] and status["seconds"] >= 0
    # A file changed since the snapshot (new mtime) is skipped, not a failure.
    changed = tmp_path / "OMERO" / "Files" / "3"
    changed.write_bytes(b"new content")
    assert act(values, "drill", drill_sample_files=100)["skipped"] == 1
    # Same mtime, other bytes: the backup no longer matches what it claims to hold.
    plate = tmp_path / "OMERO" / "ManagedRepository" / "user-3_3" / "plate ü.czi"
    st = plate.stat()
    plate.write_bytes(os.urandom(200000))
    os.utime(plate, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(store.BackupError, match="sha256 of the restored copy differs"):
        act(values, "drill", drill_sample_files=100)
    status = json.loads((tmp_path / "status.json").read_text())["data_drill"]
    assert not status["ok"] and status["last_success"]


@needs_restic
def test_missing_path_fails_before_any_snapshot(setup):
    tmp_path, values = setup
    act(values, "init")
    shutil.rmtree(tmp_path / "config")
    with pytest.raises(store.BackupError, match="nothing to back up at"):
        act(values, "run")
    assert act(values, "snapshots")["snapshots"] == []
    assert not json.loads((tmp_path / "status.json").read_text())["data_run"]["ok"]


@needs_restic
def test_wrong_password_fails_clearly(setup):
    tmp_path, values = setup
    act(values, "init")
    (tmp_path / "restic-password").write_text("another password\n")
    with pytest.raises(store.BackupError, match="restic backup failed"):
        act(values, "backup")


def test_password_file_must_be_private(setup):
    tmp_path, values = setup
    (tmp_path / "restic-password").chmod(0o644)
    with pytest.raises(store.BackupError, match="must be 0600"):
        act(values, "init")


def test_environment_carries_the_secrets():
    opts = rs.make_options(
        {"repository": "sftp:backup@host:/srv/restic", "password_file": "/etc/pw", "action": "check"}
    )
    env = rs.restic_env(opts)
    assert env["RESTIC_REPOSITORY"] == "sftp:backup@host:/srv/restic"
    assert env["RESTIC_PASSWORD_FILE"] == "/etc/pw"
    assert "RESTIC_PASSWORD" not in env


def test_forget_always_keeps_the_newest_snapshot():
    args = rs.forget_args(
        rs.make_options({"repository": "/r", "password_file": "/p", "keep_daily": 0, "action": "forget"})
    )
    assert args[args.index("--keep-last") + 1] == "1"
    assert args[args.index("--keep-daily") + 1] == "0"
    assert "--prune" in args


def test_parse_summary():
    output = (
        '{"message_type":"status","percent_done":0.5}\nnot json\n'
        '{"message_type":"summary","snapshot_id":"abc","files_new":3}\n'
    )
    assert rs.parse_summary(output) == {"message_type": "summary", "snapshot_id": "abc", "files_new": 3}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"password_file": "/p"}, "repository is required"),
        ({"repository": "/r"}, "password_file is required"),
        ({"repository": "/r", "password_file": "/p", "action": "backup"}, "paths or config_paths"),
        ({"repository": "/r", "password_file": "/p", "action": "nuke"}, "action must be one of"),
        (
            {"repository": "/r", "password_file": "/p", "keep_monthly": -2, "action": "forget"},
            "keep_monthly must be >= 0",
        ),
    ],
)
def test_bad_options(values, message):
    with pytest.raises(store.BackupError, match=message):
        rs.make_options(values)


@needs_restic
def test_restore_over_a_partly_lost_directory_keeps_its_symlinks(setup):
    # In-place import leaves symlinks in ManagedRepository; a partial loss keeps most of them.
    # restic 0.14 refuses to restore a symlink over an existing one ("file exists").
    tmp_path, values = setup
    link = tmp_path / "OMERO" / "ManagedRepository" / "link-to-file-1"
    link.symlink_to("../Files/1")
    act(values, "run")
    (tmp_path / "OMERO" / "Files" / "3").unlink()
    restored = act(values, "restore")
    assert restored["changed"]
    assert (tmp_path / "OMERO" / "Files" / "3").is_file()
    assert os.readlink(link) == "../Files/1"


@needs_restic
def test_a_failed_restore_puts_the_live_symlinks_back(setup, monkeypatch):
    tmp_path, values = setup
    link = tmp_path / "OMERO" / "ManagedRepository" / "link-to-file-1"
    link.symlink_to("../Files/1")
    act(values, "run")
    real = rs.run_restic

    def failing(opts, args, what, ok_codes=(0,)):
        if args[0] == "restore":
            raise store.BackupError("restic restore failed: simulated")
        return real(opts, args, what, ok_codes)

    monkeypatch.setattr(rs, "run_restic", failing)
    with pytest.raises(store.BackupError):
        act(values, "restore")
    assert os.readlink(link) == "../Files/1"
