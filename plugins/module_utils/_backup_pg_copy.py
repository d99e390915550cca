# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The second copy of the dump store, after each dump: rsync to a path or host:path, or SFTP.

``copy_to: sftp:HOST:/DIR`` ships to a backup store account that only speaks SFTP (the
``backup_store`` role's chrooted accounts). Only good sets are shipped, each under a hidden
``.incoming-<set>`` name, its file sizes read back and compared, then renamed into place:
a set the store shows under its own name is complete. The store never gets a delete from
here (retention runs on the store). ``fetch_sets`` brings sets back (restore after a host
loss) and checks every file against the set's manifest (sizes and sha256) before the set
appears in the local store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Dict, List, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import client_env, run

SFTP_SCHEME = "sftp:"
INCOMING_PREFIX = ".incoming-"
FETCH_PREFIX = ".fetch-"
# Seconds one SFTP batch may take (a big set over a slow link still fits).
SFTP_TIMEOUT = 6 * 3600


def copy_store(opts: Options) -> str:
    """Copy the complete sets to ``copy_to`` (rsync, or SFTP for ``sftp:HOST:/DIR``)."""
    if is_sftp(opts.copy_to):
        shipped = ship_sets(opts.backup_dir, opts.copy_to)
        return "{} ({} set(s) shipped: {})".format(opts.copy_to, len(shipped), ", ".join(shipped) or "none new")
    argv = ["rsync", "--archive", "--exclude=.*"]
    if opts.copy_delete:
        argv.append("--delete")
    argv += [opts.backup_dir.rstrip("/") + "/", opts.copy_to]
    run(argv, client_env(opts), f"rsync to {opts.copy_to}")
    return opts.copy_to


def is_sftp(target: str) -> bool:
    return bool(target) and target.startswith(SFTP_SCHEME)


def parse_sftp(target: str) -> Tuple[str, str]:
    """``sftp:HOST:/DIR`` -> (HOST, /DIR)."""
    rest = target[len(SFTP_SCHEME) :]
    host, sep, path = rest.partition(":")
    if not host or not sep or not path.startswith("/"):
        raise store.BackupError(f"an SFTP location is sftp:HOST:/DIR (HOST may be an ssh_config alias), got {target!r}")
    return host, path.rstrip("/") or "/"


def sftp_batch(host: str, commands: List[str], what: str) -> List[str]:
    """Run SFTP batch commands (any failure fails the batch); the output lines, echoes removed."""
    try:
        proc = subprocess.run(  # pylint: disable=ansible-bad-function
            ["sftp", "-q", "-o", "BatchMode=yes", "-b", "-", host],
            input="".join(f"{c}\n" for c in commands).encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=SFTP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise store.BackupError(f"{what}: sftp to {host} took more than {SFTP_TIMEOUT} s") from None
    if proc.returncode != 0:
        raise store.BackupError(
            f"{what} failed (sftp to {host}, exit {proc.returncode}): {proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("sftp>")]


def remote_names(host: str, path: str) -> List[str]:
    """Entries of a remote directory (no . and ..)."""
    names = [os.path.basename(line.rstrip("/")) for line in sftp_batch(host, [f"ls -1a {path}"], f"listing {path}")]
    return [n for n in names if n not in (".", "..")]


def local_files(root: str) -> Dict[str, int]:
    """Relative path -> size of every file under ``root``."""
    sizes = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            sizes[os.path.relpath(path, root)] = os.path.getsize(path)
    return sizes


def parse_long_listing(lines: List[str], prefix: str) -> Dict[str, int]:
    """``ls -ln`` lines of files under ``prefix`` -> relative path -> size."""
    sizes = {}
    for line in lines:
        fields = line.split()
        if len(fields) < 9 or not fields[-1].startswith(prefix + "/"):
            continue
        try:
            sizes[fields[-1][len(prefix) + 1 :]] = int(fields[4])
        except ValueError:
            continue
    return sizes


def ship_sets(backup_dir: str, target: str) -> List[str]:
    """Upload the good sets the store does not have yet; sizes compared before the rename."""
    host, path = parse_sftp(target)
    present = set(remote_names(host, path))
    shipped = []
    for item in store.list_sets(backup_dir):
        if not item["good"] or item["name"] in present:
            continue
        incoming = f"{path}/{INCOMING_PREFIX}{item['name']}"
        sizes = local_files(item["path"])
        commands = [f"put -r {item['path']} {incoming}"]
        commands += [f"ls -ln {incoming}/{rel}" for rel in sorted(sizes)]
        remote = parse_long_listing(sftp_batch(host, commands, f"shipping {item['name']}"), incoming)
        if remote != sizes:
            wrong = sorted(rel for rel in sizes if remote.get(rel) != sizes[rel])
            raise store.BackupError(
                f"shipping {item['name']} to {target}: sizes differ after upload for {', '.join(wrong)};"
                " the set stays under its .incoming- name and is not counted on the store"
            )
        sftp_batch(host, [f"rename {incoming} {path}/{item['name']}"], f"completing {item['name']}")
        shipped.append(item["name"])
    return shipped


def fetch_sets(backup_dir: str, source: str) -> Dict[str, List[str]]:
    """Download the sets the local store lacks; each checked against its manifest first."""
    host, path = parse_sftp(source)
    local = {s["name"] for s in store.list_sets(backup_dir)}
    fetched = []
    problems = []
    for name in remote_names(host, path):
        if name.startswith(".") or not store.is_set_name(name) or name in local:
            continue
        temp = os.path.join(backup_dir, f"{FETCH_PREFIX}{name}")
        shutil.rmtree(temp, ignore_errors=True)
        sftp_batch(host, [f"get -r {path}/{name} {temp}"], f"fetching {name}")
        manifest = store.read_manifest(temp)
        found = ["no readable manifest"] if manifest is None else store.check_files(temp, manifest)
        if manifest is not None and manifest.get("status") != "good":
            found.append("the manifest does not say good")
        if found:
            shutil.rmtree(temp, ignore_errors=True)
            problems.append(f"{name}: {'; '.join(found)}")
            continue
        store.chmod_tree(temp)
        store.finalize_set(temp, os.path.join(backup_dir, name))
        fetched.append(name)
    if problems and not fetched:
        raise store.BackupError(f"no set fetched from {source} passed its checks: {' | '.join(problems)}")
    return {"fetched": fetched, "rejected": problems}
