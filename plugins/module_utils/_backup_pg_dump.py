# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``dump`` action: pg_dump and the manifest's row counts in one snapshot, written as a
complete set or not at all."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import time
from typing import Any, Dict, Optional, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_catalogue import (
    list_tables,
    row_counts,
    schema_version,
    toc_table_data,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import (
    client_env,
    connect,
    popen,
    program,
    psycopg2,
    run,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_copy import copy_store


def resolve_owner(opts: Options) -> Tuple[int, int]:
    uid, gid = -1, -1
    try:
        if opts.owner:
            uid = pwd.getpwnam(opts.owner).pw_uid
        if opts.group:
            gid = grp.getgrnam(opts.group).gr_gid
    except KeyError as exc:
        raise store.BackupError(f"unknown owner or group: {exc}") from None
    return uid, gid


def prepare_backup_dir(opts: Options) -> None:
    if not os.path.isdir(opts.backup_dir):
        raise store.BackupError(f"backup_dir {opts.backup_dir} does not exist (the backup role creates it)")


def action_dump(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    prepare_backup_dir(opts)
    if check_mode:
        return {"changed": True, "msg": f"would dump database {opts.database} into {opts.backup_dir}"}
    env = client_env(opts)
    uid, gid = resolve_owner(opts)
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        for leftover in store.stale_temporaries(opts.backup_dir):
            store.remove_tree(leftover)
        sets = store.list_sets(opts.backup_dir)
        previous = store.newest_good(sets)
        started = store.utcnow()
        name = store.set_name(opts.database, started)
        existing = {s["name"] for s in sets}
        suffix = 1
        while name in existing or os.path.exists(os.path.join(opts.backup_dir, name)):
            name = f"{store.set_name(opts.database, started)}-{suffix}"
            suffix += 1
        temp_dir = store.temp_set_dir(opts.backup_dir, name)
        final_dir = os.path.join(opts.backup_dir, name)
        os.mkdir(temp_dir, 0o700)
        try:
            result = _dump_into(opts, env, temp_dir, name, started, previous)
            store.chmod_tree(temp_dir)
            if uid != -1 or gid != -1:
                store.chown_tree(temp_dir, uid, gid)
            store.finalize_set(temp_dir, final_dir)
        except BaseException:
            shutil.rmtree(temp_dir, ignore_errors=True)
            raise
        result["path"] = final_dir
    if opts.copy_to:
        result["copied_to"] = copy_store(opts)
    return result


def _dump_into(
    opts: Options,
    env: Dict[str, str],
    temp_dir: str,
    name: str,
    started: Any,
    previous: Optional[Dict[str, Any]],
) -> Dict[str, Any]:
    clock = time.monotonic()
    dump_rel = "{}.{}".format(opts.database, "pgdump" if opts.format == "custom" else "dir")
    dump_path = os.path.join(temp_dir, dump_rel)
    conn = connect(opts, opts.database)
    proc = None
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        cur = conn.cursor()
        # One snapshot for pg_dump and for our row counts: the manifest describes exactly
        # the data in the dump, even while OMERO keeps writing.
        cur.execute(
            "SELECT pg_export_snapshot(), current_setting('server_version'), pg_get_userbyid(datdba) "
            "FROM pg_database WHERE datname = current_database()"
        )
        snapshot, server_version, db_owner = cur.fetchone()
        argv = [
            program(opts, "pg_dump"),
            f"--format={opts.format}",
            f"--file={dump_path}",
            f"--snapshot={snapshot}",
            "--no-password",
        ]
        if opts.format == "directory":
            argv.append(f"--jobs={int(opts.jobs)}")
        if opts.compress is not None:
            argv.append(f"--compress={int(opts.compress)}")
        argv.append(opts.database)
        proc = popen(argv, env)
        tables = list_tables(cur)
        counts = row_counts(cur, tables)
        omero_schema = schema_version(cur)
        _out, err = proc.communicate()
        if proc.returncode != 0:
            raise store.BackupError(
                f"pg_dump failed (exit {proc.returncode}): {err.decode('utf-8', 'replace').strip()}"
            )
        conn.rollback()
    except psycopg2.Error as exc:
        raise store.BackupError(f"database error during the dump: {str(exc).strip()}") from None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        conn.close()
    dump_seconds = time.monotonic() - clock
    pg_dump_version = run([program(opts, "pg_dump"), "--version"], env, "pg_dump --version").strip()
    entries = store.file_entries(temp_dir, dump_path)
    total = sum(e["size"] for e in entries)
    toc = run([program(opts, "pg_restore"), "--list", dump_path], env, "pg_restore --list")
    toc_tables = toc_table_data(toc)
    problems = store.sanity_problems(
        total, len(toc_tables), previous["manifest"].get("total_size") if previous else None, float(opts.min_size_ratio)
    )
    missing = sorted(set(counts) - set(toc_tables))
    if missing:
        problems.append("tables missing from the dump: {}".format(", ".join(missing[:20])))
    if problems:
        raise store.BackupError(
            "dump of {} rejected, not counted as good: {}".format(opts.database, "; ".join(problems))
        )
    store.atomic_write(os.path.join(temp_dir, store.SUMS), store.sums_text(entries).encode("utf-8"))
    manifest = {
        "format_version": store.MANIFEST_FORMAT,
        "name": name,
        "status": "good",
        "created": store.format_time(started),
        "finished": store.format_time(store.utcnow()),
        "dump_seconds": round(dump_seconds, 3),
        "database": opts.database,
        "database_owner": db_owner,
        "host": os.uname()[1],
        "format": opts.format,
        "dump": dump_rel,
        "files": entries,
        "total_size": total,
        "sha256": store.set_checksum(entries),
        "postgresql_version": server_version,
        "pg_dump_version": pg_dump_version,
        "omero_schema": omero_schema,
        "tables": counts,
        "total_rows": sum(counts.values()),
        "previous": previous["name"] if previous else None,
    }
    store.atomic_write(os.path.join(temp_dir, store.MANIFEST), (_json(manifest)).encode("utf-8"))
    return {
        "changed": True,
        "backup": name,
        "size": total,
        "sha256": manifest["sha256"],
        "tables": len(counts),
        "total_rows": manifest["total_rows"],
        "omero_schema": omero_schema,
        "postgresql_version": server_version,
        "seconds": round(time.monotonic() - clock, 3),
        "msg": f"dumped {opts.database}: {total} bytes, {len(counts)} tables, {manifest['total_rows']} rows",
    }


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
