# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups of the OMERO data directory and OMERO configuration with restic.

restic (Debian package ``restic``) gives deduplicated, encrypted snapshots, ``restic check``
and its own retention (``forget --prune``). The repository password is only ever read by
restic from ``RESTIC_PASSWORD_FILE``; the repository location goes through
``RESTIC_REPOSITORY`` (it may carry credentials for remote back ends), never argv.

The OMERO configuration is backed up as files: the ``.omero`` drop-in files the
omero_server role writes, read as they are, passwords intact (``omero config get``
masks passwords, so it is never used for this).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils import _option_domains as domains
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import (
    Options,
    check_domains,
    check_retention,
    options_with_defaults,
)

ACTIONS = ("init", "backup", "forget", "check", "run", "restore", "snapshots", "drill")

DEFAULTS: Dict[str, Any] = {
    "action": "run",
    "repository": None,
    "password_file": None,
    "paths": [],
    "config_paths": [],
    "exclude": [],
    "tag": "omero",
    "keep_daily": 7,
    "keep_weekly": 4,
    "keep_monthly": 6,
    "check_read_data_subset": None,
    "snapshot": "latest",
    "target": "/",
    "include": [],
    "cache_dir": None,
    "restic_bin": None,
    "status_file": None,
    "drill_sample_files": 20,
}


# Domains checked before any work (the module and the omero-backup command alike).
DOMAINS: Dict[str, Any] = {
    "password_file": domains.ABSOLUTE_PATH,
    "status_file": domains.ABSOLUTE_PATH,
    "cache_dir": domains.ABSOLUTE_PATH,
    "restic_bin": domains.ABSOLUTE_PATH,
    "target": domains.ABSOLUTE_PATH,
}
# restic check --read-data-subset: n/t (a part of t), a percentage, or a size (K, M, G, T).
READ_DATA_SUBSET_RE = re.compile(r"^([1-9][0-9]*/[1-9][0-9]*|[0-9]+(\.[0-9]+)?%|[1-9][0-9]*[KMGT])$")


def make_options(values: Dict[str, Any]) -> Options:
    opts = options_with_defaults(values, DEFAULTS, ACTIONS)
    check_domains(opts, DOMAINS)
    for key in ("paths", "config_paths"):
        for path in opts[key] or []:
            if not str(path).startswith("/"):
                raise store.BackupError(f"{key} must list absolute paths on the host (starting with /), got {path!r}")
    subset = opts.check_read_data_subset
    if subset and not READ_DATA_SUBSET_RE.match(str(subset)):
        raise store.BackupError(
            f"check_read_data_subset must be n/t (for example 1/7), a percentage (5%) or a size (2G), got {subset!r}"
        )
    if not opts.repository:
        raise store.BackupError("repository is required")
    if not opts.password_file:
        raise store.BackupError("password_file is required (the restic repository password, mode 0600)")
    if opts.action in ("backup", "run") and not (opts.paths or opts.config_paths):
        raise store.BackupError("paths or config_paths must list what to back up")
    check_retention(opts)
    if int(opts.drill_sample_files) < 1:
        raise store.BackupError(f"drill_sample_files must be >= 1, got {opts.drill_sample_files}")
    return opts


def restic_env(opts: Options) -> Dict[str, str]:
    env = dict(os.environ)
    for key in ("RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_PASSWORD_FILE", "RESTIC_REPOSITORY"):
        env.pop(key, None)
    env["RESTIC_REPOSITORY"] = str(opts.repository)
    env["RESTIC_PASSWORD_FILE"] = str(opts.password_file)
    if opts.cache_dir:
        env["RESTIC_CACHE_DIR"] = str(opts.cache_dir)
    env.setdefault("LANG", "C.UTF-8")
    return env


def restic(opts: Options) -> str:
    if opts.restic_bin:
        return str(opts.restic_bin)
    found = shutil.which("restic")
    if not found:
        raise store.BackupError("restic not found in PATH (Debian: apt install restic)")
    return found


def run_restic(opts: Options, args: List[str], what: str, ok_codes: tuple = (0,)) -> str:
    # Also run outside Ansible (by the systemd services), so no module.run_command.
    proc = subprocess.run([restic(opts), *args], env=restic_env(opts), capture_output=True, check=False)  # pylint: disable=ansible-bad-function
    if proc.returncode not in ok_codes:
        detail = proc.stderr.decode("utf-8", "replace").strip()
        if proc.returncode == 3 and what.startswith("restic backup"):
            detail = "some files could not be read, the snapshot is incomplete: " + detail
        raise store.BackupError(f"{what} failed (exit {proc.returncode}): {detail}")
    return proc.stdout.decode("utf-8", "replace")


def repository_exists(opts: Options) -> bool:
    repo = str(opts.repository)
    if repo.startswith("/") or repo.startswith("local:"):
        return os.path.isfile(os.path.join(repo.split("local:", 1)[-1], "config"))
    proc = subprocess.run(  # pylint: disable=ansible-bad-function
        [restic(opts), "cat", "config"],
        env=restic_env(opts),
        capture_output=True,
        check=False,
    )
    if proc.returncode == 0:
        return True
    err = proc.stderr.decode("utf-8", "replace")
    if "Is there a repository at the following location" in err or "does not exist" in err:
        return False
    raise store.BackupError(f"cannot read restic repository config: {err.strip()}")


def check_password_file(opts: Options) -> None:
    try:
        mode = os.stat(opts.password_file).st_mode & 0o777
    except OSError as exc:
        raise store.BackupError(f"password_file {opts.password_file}: {exc.strerror}") from None
    if mode & 0o077:
        raise store.BackupError(f"password_file {opts.password_file} has mode {mode:04o}; it must be 0600 or stricter")


def action_init(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    check_password_file(opts)
    if repository_exists(opts):
        return {"changed": False, "msg": "the restic repository exists"}
    if check_mode:
        return {"changed": True, "msg": "would initialise the restic repository"}
    run_restic(opts, ["init"], "restic init")
    return {"changed": True, "msg": "initialised the restic repository"}


def parse_summary(output: str) -> Dict[str, Any]:
    """The summary line of ``restic backup --json``."""
    summary: Dict[str, Any] = {}
    for line in output.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("message_type") == "summary":
            summary = message
    return summary


def action_backup(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    check_password_file(opts)
    missing = [p for p in list(opts.paths) + list(opts.config_paths) if not os.path.exists(p)]
    if missing:
        raise store.BackupError(
            "nothing to back up at {} (a silent partial backup would be worse)".format(", ".join(missing))
        )
    if check_mode:
        return {
            "changed": True,
            "msg": "would back up {}".format(", ".join(list(opts.paths) + list(opts.config_paths))),
        }
    args = ["backup", "--json", "--tag", str(opts.tag)]
    for pattern in opts.exclude:
        args += ["--exclude", str(pattern)]
    args += ["--", *opts.paths, *opts.config_paths]
    summary = parse_summary(run_restic(opts, args, "restic backup"))
    config_files = 0
    for path in opts.config_paths:
        if os.path.isdir(path):
            config_files += sum(len(files) for _d, _s, files in os.walk(path))
        else:
            config_files += 1
    return {
        "changed": True,
        "snapshot": summary.get("snapshot_id"),
        "files_new": summary.get("files_new"),
        "files_changed": summary.get("files_changed"),
        "bytes_added": summary.get("data_added"),
        "total_files": summary.get("total_files_processed"),
        "total_bytes": summary.get("total_bytes_processed"),
        "config_files": config_files,
        "msg": "snapshot {}: {} files, {} bytes added".format(
            summary.get("snapshot_id"), summary.get("total_files_processed"), summary.get("data_added")
        ),
    }


def forget_args(opts: Options) -> List[str]:
    return [
        "forget",
        "--json",
        "--prune",
        "--tag",
        str(opts.tag),
        "--keep-daily",
        str(int(opts.keep_daily)),
        "--keep-weekly",
        str(int(opts.keep_weekly)),
        "--keep-monthly",
        str(int(opts.keep_monthly)),
        # restic keeps the newest snapshot anyway only when a rule selects it: make it explicit.
        "--keep-last",
        "1",
    ]


def action_forget(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    args = forget_args(opts)
    if check_mode:
        args.insert(1, "--dry-run")
    output = run_restic(opts, args, "restic forget")
    removed = 0
    try:
        groups = json.loads(output.strip().splitlines()[0]) if output.strip() else []
        for group in groups or []:
            removed += len(group.get("remove") or [])
    except (ValueError, IndexError, AttributeError):
        removed = 0
    return {"changed": removed > 0, "forgotten": removed, "msg": f"forgot {removed} snapshots"}


def action_check(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    args = ["check"]
    if opts.check_read_data_subset:
        args.append(f"--read-data-subset={opts.check_read_data_subset}")
    run_restic(opts, args, "restic check")
    return {"changed": False, "msg": "restic check passed"}


def action_run(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    """What the timer runs: back up, apply retention, check the repository."""
    init = action_init(opts, check_mode)
    result = action_backup(opts, check_mode)
    if check_mode:
        return result
    forget = action_forget(opts)
    action_check(opts)
    result["forgotten"] = forget["forgotten"]
    result["initialised"] = init["changed"]
    result["msg"] += f"; forgot {forget['forgotten']}; check passed"
    return result


def list_snapshots(opts: Options) -> List[Dict[str, Any]]:
    output = run_restic(opts, ["snapshots", "--json", "--tag", str(opts.tag)], "restic snapshots")
    data = json.loads(output or "[]")
    return data if isinstance(data, list) else []


def action_snapshots(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    snaps = [
        {
            "id": s.get("short_id") or s.get("id"),
            "time": s.get("time"),
            "paths": s.get("paths"),
            "host": s.get("hostname"),
        }
        for s in list_snapshots(opts)
    ]
    return {"changed": False, "snapshots": snaps, "msg": f"{len(snaps)} snapshots"}


def action_restore(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    snaps = list_snapshots(opts)
    if not snaps:
        raise store.BackupError(f"the restic repository holds no snapshot tagged {opts.tag}")
    if check_mode:
        return {"changed": True, "msg": f"would restore snapshot {opts.snapshot} into {opts.target}"}
    args = ["restore", str(opts.snapshot), "--target", str(opts.target), "--tag", str(opts.tag)]
    if opts.snapshot != "latest":
        args = ["restore", str(opts.snapshot), "--target", str(opts.target)]
    for pattern in opts.include:
        args += ["--include", str(pattern)]
    args.append("--verify")
    clock = time.monotonic()
    snapshot_id = str(snaps[-1].get("id")) if opts.snapshot == "latest" else str(opts.snapshot)
    moved = set_aside_symlinks(opts, snapshot_id)
    try:
        run_restic(opts, args, "restic restore")
    finally:
        put_back_symlinks(moved)
    return {
        "changed": True,
        "snapshot": opts.snapshot,
        "target": opts.target,
        "seconds": round(time.monotonic() - clock, 3),
        "msg": f"restored snapshot {opts.snapshot} into {opts.target} (verified)",
    }


def snapshot_nodes(opts: Options, snapshot_id: str, kind: str) -> List[Dict[str, Any]]:
    """The nodes of one type ("file", "symlink"...) of a snapshot (``restic ls --json``)."""
    output = run_restic(opts, ["ls", "--json", snapshot_id], "restic ls")
    nodes = []
    for line in output.splitlines():
        try:
            node = json.loads(line)
        except ValueError:
            continue
        if isinstance(node, dict) and node.get("struct_type") == "node" and node.get("type") == kind:
            nodes.append(node)
    return nodes


def snapshot_files(opts: Options, snapshot_id: str) -> List[Dict[str, Any]]:
    """The regular files of a snapshot: path, size."""
    return [
        {"path": str(node["path"]), "size": int(node.get("size") or 0)}
        for node in snapshot_nodes(opts, snapshot_id, "file")
    ]


def set_aside_symlinks(opts: Options, snapshot_id: str) -> List[Tuple[str, str]]:
    """Unlink the live symlinks the snapshot will restore; return them to put back.

    restic before 0.17 refuses to restore a symlink over an existing one ("file exists"), which
    fails an in-place restore of a partly lost data directory (in-place import leaves symlinks).
    Only symlinks are touched: they hold no data, and put_back_symlinks recreates any the
    restore did not (a failed restore, or one limited by include patterns).
    """
    moved = []
    for node in snapshot_nodes(opts, snapshot_id, "symlink"):
        live = os.path.join(str(opts.target), str(node["path"]).lstrip("/"))
        if os.path.islink(live):
            moved.append((live, os.readlink(live)))
            os.unlink(live)
    return moved


def put_back_symlinks(moved: List[Tuple[str, str]]) -> None:
    for live, target in moved:
        if not os.path.lexists(live):
            os.symlink(target, live)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _include_pattern(path: str) -> str:
    """A restic --include pattern matching exactly this path (glob characters escaped)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", path)


def action_drill(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    """Restore a sample of the newest snapshot's files to scratch space and compare checksums.

    A sampled file whose live copy still has the snapshot's modification time (restic restores
    it) must be byte for byte the same; files changed or removed since the snapshot are counted
    as skipped, never as a failure. Reads the data back from the repository (the backup store).
    """
    snaps = list_snapshots(opts)
    if not snaps:
        raise store.BackupError(f"the restic repository holds no snapshot tagged {opts.tag}")
    newest = snaps[-1]
    snap_id = str(newest.get("id"))
    files = snapshot_files(opts, snap_id)
    if not files:
        raise store.BackupError(f"snapshot {snap_id[:8]} holds no file")
    # Not for security: a sample that changes with each snapshot and is reproducible for it.
    count = min(int(opts.drill_sample_files), len(files))
    sample = random.Random(snap_id).sample(files, count)  # noqa: S311
    if check_mode:
        return {"changed": False, "msg": f"would restore {len(sample)} files of snapshot {snap_id[:8]} and compare"}
    scratch = tempfile.mkdtemp(prefix="omero-backup-drill-", dir=opts.cache_dir or None)
    compared = skipped = size = 0
    problems = []
    try:
        args = ["restore", snap_id, "--target", scratch, "--verify"]
        for item in sample:
            args += ["--include", _include_pattern(item["path"])]
        run_restic(opts, args, "restic restore (drill)")
        for item in sample:
            restored = os.path.join(scratch, item["path"].lstrip("/"))
            if not os.path.isfile(restored):
                problems.append(f"{item['path']} was not restored")
                continue
            if os.path.getsize(restored) != item["size"]:
                got = os.path.getsize(restored)
                problems.append(f"{item['path']}: restored {got} bytes, the snapshot says {item['size']}")
                continue
            try:
                live = os.stat(item["path"])
            except OSError:
                skipped += 1  # removed since the snapshot
                continue
            if live.st_mtime_ns != os.stat(restored).st_mtime_ns:
                skipped += 1  # changed since the snapshot
                continue
            if _sha256(restored) != _sha256(item["path"]):
                problems.append(f"{item['path']}: sha256 of the restored copy differs from the unchanged live file")
                continue
            compared += 1
            size += item["size"]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if problems:
        raise store.BackupError(f"drill of snapshot {snap_id[:8]} failed: {'; '.join(problems)}")
    return {
        "changed": False,
        "snapshot": snap_id[:8],
        "files": compared,
        "skipped": skipped,
        "size": size,
        "msg": (
            f"drill: restored {len(sample)} files of snapshot {snap_id[:8]}, {compared} identical to the live"
            f" files ({size} bytes), {skipped} changed or removed since"
        ),
    }


DISPATCH: Dict[str, Callable[[Options, bool], Dict[str, Any]]] = {
    "init": action_init,
    "backup": action_backup,
    "forget": action_forget,
    "check": action_check,
    "run": action_run,
    "restore": action_restore,
    "snapshots": action_snapshots,
    "drill": action_drill,
}


def perform(opts: Options, check_mode: bool = False, status_key: Optional[str] = None) -> Dict[str, Any]:
    key = status_key or f"data_{opts.action}"
    record_it = not check_mode and opts.action not in ("snapshots", "init")
    clock = time.monotonic()
    try:
        try:
            result = DISPATCH[opts.action](opts, check_mode)
        except OSError as exc:
            raise store.BackupError(f"{opts.action} failed: {exc}") from None
    except store.BackupError as exc:
        if record_it:
            store.update_status(opts.status_file, key, {"ok": False, "message": str(exc)})
        raise
    if record_it:
        keys = ("snapshot", "total_files", "total_bytes", "forgotten", "files", "skipped", "size")
        record = {k: v for k, v in result.items() if k in keys}
        record.update({"ok": True, "message": result.get("msg"), "seconds": round(time.monotonic() - clock, 3)})
        store.update_status(opts.status_file, key, record)
    return result
