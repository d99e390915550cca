# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Trusting a backup set: the ``verify`` action, pg_restore into a database, and the
comparison of a restored database with its manifest (shared by drill and restore)."""

from __future__ import annotations

import os
import time
from typing import Any, Dict, List, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_catalogue import (
    list_tables,
    row_counts,
    schema_version,
    toc_table_data,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import client_env, cursor, program, run


def dump_target(set_dir: str, manifest: Dict[str, Any]) -> str:
    return os.path.join(set_dir, manifest["dump"])


def verify_set(opts: Options, item: Dict[str, Any]) -> List[str]:
    """Problems with one set: its status, every checksum, and a readable TOC."""
    manifest = item["manifest"]
    if manifest is None:
        return ["no readable manifest.json"]
    problems = []
    if manifest.get("status") != "good":
        problems.append("the manifest status is {!r}, not good".format(manifest.get("status")))
    problems.extend(store.check_files(item["path"], manifest))
    if problems:
        return problems
    try:
        toc = run(
            [program(opts, "pg_restore"), "--list", dump_target(item["path"], manifest)],
            client_env(opts),
            "pg_restore --list",
        )
    except store.BackupError as exc:
        return [str(exc)]
    missing = sorted(set(manifest.get("tables") or {}) - set(toc_table_data(toc)))
    if missing:
        problems.append("tables missing from the dump's table of contents: {}".format(", ".join(missing[:20])))
    return problems


def require_verified(opts: Options, item: Dict[str, Any], refusal: str = "") -> None:
    """Fail naming every problem verify_set finds; ``refusal`` says what is then not done."""
    problems = verify_set(opts, item)
    if problems:
        raise store.BackupError(
            "backup {} failed verification{}: {}".format(item["name"], refusal, "; ".join(problems))
        )


def action_verify(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        item = store.find_set(opts.backup_dir, opts.backup)
        require_verified(opts, item)
    return {
        "changed": False,
        "backup": item["name"],
        "size": item["manifest"]["total_size"],
        "sha256": item["manifest"]["sha256"],
        "msg": "backup {} verified: checksums match, pg_restore reads it".format(item["name"]),
    }


def pg_restore_into(opts: Options, item: Dict[str, Any], target: str) -> float:
    """pg_restore a set into the existing database ``target``; seconds it took."""
    argv = [program(opts, "pg_restore"), "--exit-on-error", "--no-password", f"--dbname={target}"]
    if opts.no_owner:
        argv += ["--no-owner", "--no-privileges"]
    if int(opts.jobs) > 1:
        argv.append(f"--jobs={int(opts.jobs)}")
    else:
        argv.append("--single-transaction")
    argv.append(dump_target(item["path"], item["manifest"]))
    clock = time.monotonic()
    run(argv, client_env(opts), f"pg_restore into {target}")
    return time.monotonic() - clock


def compare_restored(opts: Options, target: str, manifest: Dict[str, Any]) -> Tuple[List[str], Any]:
    """Row counts and schema version of a restored database against the manifest."""
    with cursor(opts, target) as cur:
        expected = manifest.get("tables") or {}
        counts = row_counts(cur, list_tables(cur))
        restored_schema = schema_version(cur)
    mismatches = []
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            mismatches.append(f"{table}: manifest {expected.get(table)}, restored {counts.get(table)}")
    if restored_schema != manifest.get("omero_schema"):
        mismatches.append(
            "OMERO schema version: manifest {}, restored {}".format(manifest.get("omero_schema"), restored_schema)
        )
    return mismatches, {"tables": len(counts), "total_rows": sum(counts.values()), "omero_schema": restored_schema}
