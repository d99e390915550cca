# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-disk backup store: sets, manifests, checksums, atomic writes, locking, status.

A backup set is a directory ``<backup_dir>/<database>-<YYYYmmddTHHMMSSZ>/`` holding the
dump (``<database>.pgdump`` in custom format, or ``<database>.dir/`` in directory format),
``SHA256SUMS`` (``sha256sum -c`` compatible) and ``manifest.json``. A set is built under a
hidden temporary name and renamed into place only once everything in it is written,
fsynced and checked, so a set with a visible name is always complete. Only sets whose
manifest says ``"status": "good"`` count as backups. Standard library only: this file
also runs on the hosts from the ``omero-backup`` command the backup role installs.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from typing import Any, Dict, List, Optional

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
MANIFEST_FORMAT = 1
TMP_PREFIX = ".tmp-"
DELETE_PREFIX = ".del-"
LOCK_NAME = ".lock"
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_SET_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*-\d{8}T\d{6}Z(?:-\d+)?$")


class BackupError(Exception):
    """A failure to report to the user as it is (no traceback needed)."""


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def format_time(when: datetime.datetime) -> str:
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def set_name(database: str, when: datetime.datetime) -> str:
    return f"{database}-{when.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT)}"


def is_set_name(name: str) -> bool:
    return bool(_SET_NAME.match(name))


# ---------------------------------------------------------------- durability helpers


def fsync_path(path: str) -> None:
    """fsync a file or a directory (a rename is durable once its directory is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: str) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            fsync_path(os.path.join(dirpath, filename))
        fsync_path(dirpath)


def atomic_write(path: str, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    Readers see the old content or the new, never a mix; on any error the temporary
    file is removed and the old content stays.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f"{TMP_PREFIX}{os.path.basename(path)}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_path(directory)


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(chunk)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def file_entries(set_dir: str, dump_path: str) -> List[Dict[str, Any]]:
    """Relative path, size and sha256 of every file of a dump (a file or a directory)."""
    paths = []
    if os.path.isdir(dump_path):
        for dirpath, _dirnames, filenames in os.walk(dump_path):
            paths.extend(os.path.join(dirpath, f) for f in filenames)
    else:
        paths.append(dump_path)
    entries = []
    for path in sorted(paths):
        entries.append(
            {
                "path": os.path.relpath(path, set_dir),
                "size": os.path.getsize(path),
                "sha256": sha256_file(path),
            }
        )
    return entries


def sums_text(entries: List[Dict[str, Any]]) -> str:
    return "".join("{}  {}\n".format(e["sha256"], e["path"]) for e in entries)


def set_checksum(entries: List[Dict[str, Any]]) -> str:
    """One checksum for a whole set: the sha256 of its SHA256SUMS text."""
    return hashlib.sha256(sums_text(entries).encode("utf-8")).hexdigest()


def check_files(set_dir: str, manifest: Dict[str, Any]) -> List[str]:
    """Problems found re-reading every file listed in a manifest (empty list: all good)."""
    problems = []
    entries = manifest.get("files") or []
    if not entries:
        problems.append("the manifest lists no files")
    for entry in entries:
        path = os.path.join(set_dir, entry["path"])
        if not os.path.isfile(path):
            problems.append("{} is missing".format(entry["path"]))
            continue
        size = os.path.getsize(path)
        if size != entry["size"]:
            problems.append(f"{entry['path']} has {size} bytes, the manifest says {entry['size']}")
            continue
        if sha256_file(path) != entry["sha256"]:
            problems.append("{}: sha256 mismatch".format(entry["path"]))
    if entries and set_checksum(entries) != manifest.get("sha256"):
        problems.append("the manifest's set checksum does not match its file list")
    return problems


# ---------------------------------------------------------------- sanity


def sanity_problems(
    total_size: int, table_data_entries: int, previous_good_size: Optional[int], min_size_ratio: float
) -> List[str]:
    """Why a fresh dump must not count as good (empty list: it may)."""
    problems = []
    if total_size <= 0:
        problems.append("the dump is empty (0 bytes)")
    if table_data_entries <= 0:
        problems.append("the dump holds no table data (is the database empty or the wrong one?)")
    if previous_good_size and min_size_ratio > 0 and total_size < previous_good_size * min_size_ratio:
        problems.append(
            f"the dump is suspiciously small: {total_size} bytes, less than {min_size_ratio:.2f} x"
            f" the previous good backup ({previous_good_size} bytes)"
        )
    return problems


# ---------------------------------------------------------------- sets on disk


def read_manifest(set_dir: str) -> Optional[Dict[str, Any]]:
    try:
        with open(os.path.join(set_dir, MANIFEST), "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_sets(backup_dir: str) -> List[Dict[str, Any]]:
    """Every backup set in ``backup_dir``, oldest first.

    Each item: ``name``, ``path``, ``good`` (bool), ``created`` (datetime or None) and
    ``manifest`` (dict or None). Hidden entries (temporary, being deleted, the lock) are
    not sets.
    """
    sets = []
    try:
        names = os.listdir(backup_dir)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return []
        raise
    for name in names:
        path = os.path.join(backup_dir, name)
        if name.startswith(".") or not os.path.isdir(path) or not is_set_name(name):
            continue
        manifest = read_manifest(path)
        created = None
        good = False
        if manifest is not None:
            try:
                created = parse_time(manifest["created"])
                good = manifest.get("status") == "good"
            except (KeyError, TypeError, ValueError):
                good = False
        sets.append({"name": name, "path": path, "good": good, "created": created, "manifest": manifest})
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    sets.sort(key=lambda s: (s["created"] or epoch, s["name"]))
    return sets


def newest_good(sets: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    good = [s for s in sets if s["good"]]
    return good[-1] if good else None


def find_set(backup_dir: str, name: Optional[str]) -> Dict[str, Any]:
    """The set called ``name``, or the newest good set when ``name`` is empty/``newest``."""
    sets = list_sets(backup_dir)
    if not name or name == "newest":
        chosen = newest_good(sets)
        if chosen is None:
            raise BackupError(f"no good backup in {backup_dir}")
        return chosen
    for item in sets:
        if item["name"] == name:
            return item
    raise BackupError(
        "no backup called {!r} in {} (have: {})".format(name, backup_dir, ", ".join(s["name"] for s in sets))
    )


def temp_set_dir(backup_dir: str, name: str) -> str:
    return os.path.join(backup_dir, f"{TMP_PREFIX}{name}")


def remove_tree(path: str) -> None:
    """Remove a set or a temporary set; renamed first so it never looks half there."""
    if not os.path.lexists(path):
        return
    parent, base = os.path.split(path)
    doomed = path
    if not base.startswith(DELETE_PREFIX):
        doomed = os.path.join(parent, f"{DELETE_PREFIX}{base.lstrip('.')}.{os.getpid()}")
        os.rename(path, doomed)
    shutil.rmtree(doomed)
    fsync_path(parent)


def stale_temporaries(backup_dir: str) -> List[str]:
    """Leftovers of a run that was killed (safe to remove while holding the lock)."""
    try:
        names = os.listdir(backup_dir)
    except OSError:
        return []
    return sorted(
        os.path.join(backup_dir, n)
        for n in names
        if (n.startswith(TMP_PREFIX) or n.startswith(DELETE_PREFIX)) and n != LOCK_NAME
    )


def finalize_set(temp_dir: str, final_dir: str) -> None:
    """Make a complete temporary set visible under its final name, durably."""
    fsync_tree(temp_dir)
    if os.path.exists(final_dir):
        raise BackupError(f"{final_dir} already exists")
    os.rename(temp_dir, final_dir)
    fsync_path(os.path.dirname(final_dir))


def chmod_tree(root: str, file_mode: int = 0o600, dir_mode: int = 0o700) -> None:
    os.chmod(root, dir_mode)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), dir_mode)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), file_mode)


def chown_tree(root: str, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid)


# ---------------------------------------------------------------- lock and status


class StoreLock:
    """An exclusive flock on ``<backup_dir>/.lock`` shared by every action on the store."""

    def __init__(self, backup_dir: str, timeout: float) -> None:
        self.path = os.path.join(backup_dir, LOCK_NAME)
        self.timeout = timeout
        self.fd: Optional[int] = None

    def __enter__(self) -> StoreLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    self.fd = None
                    raise BackupError(f"another backup operation holds {self.path} (waited {self.timeout}s)") from None
                time.sleep(0.5)

    def __exit__(self, *exc_info: Any) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def update_status(status_file: Optional[str], action: str, record: Dict[str, Any]) -> None:
    """Record the outcome of one action in the JSON status file read by monitoring.

    The file maps each action to its last run (``ok``, ``time``, ``message``...) and keeps
    ``last_success`` from the previous runs, so a failing job stays visible next to the
    time it last worked.
    """
    if not status_file:
        return
    status: Dict[str, Any] = {}
    try:
        with open(status_file, "rb") as handle:
            loaded = json.loads(handle.read().decode("utf-8"))
        if isinstance(loaded, dict):
            status = loaded
    except (OSError, ValueError):
        status = {}
    previous = status.get(action) if isinstance(status.get(action), dict) else {}
    entry = dict(record)
    entry.setdefault("time", format_time(utcnow()))
    if entry.get("ok"):
        entry["last_success"] = entry["time"]
    elif previous.get("last_success"):
        entry["last_success"] = previous["last_success"]
    status[action] = entry
    status["updated"] = entry["time"]
    parent = os.path.dirname(os.path.abspath(status_file))
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    atomic_write(status_file, (json.dumps(status, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o644)
