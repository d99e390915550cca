# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PostgreSQL backups of the OMERO database: dump, verify, drill, prune, restore, list.

Used by the ``omero_backup`` module and by the ``omero-backup`` command that the backup
role's systemd services run, so both paths execute the same code. Standard library plus
psycopg2 (guarded); the PostgreSQL client programs run as argv lists with every secret in
the environment (``PGPASSWORD``/``PGPASSFILE``), never on a command line.
"""

from __future__ import annotations

import errno
import grp
import json
import os
import pwd
import shutil
import subprocess
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import (
    Options,
    check_retention,
    options_with_defaults,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_retention import BackupPoint, plan_retention

PSYCOPG2_IMPORT_ERROR: Optional[str]
try:
    import psycopg2
    from psycopg2 import sql

    PSYCOPG2_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the host
    psycopg2 = None
    sql = None
    PSYCOPG2_IMPORT_ERROR = traceback.format_exc()

ACTIONS = ("dump", "verify", "drill", "prune", "restore", "list")

# Every option with its default: the module's argument spec and the command's JSON
# configuration both come down to this dict.
DEFAULTS: Dict[str, Any] = {
    "action": "dump",
    "backup_dir": None,
    "database": "omero",
    "login_host": None,
    "login_port": 5432,
    "login_user": None,
    "login_password": None,
    "passfile": None,
    "maintenance_db": "postgres",
    "pg_bin_dir": None,
    "format": "custom",
    "jobs": 1,
    "compress": None,
    "min_size_ratio": 0.5,
    "backup": "newest",
    "keep_daily": 7,
    "keep_weekly": 4,
    "keep_monthly": 6,
    "scratch_db": None,
    "target_db": None,
    "force": False,
    "no_owner": False,
    "owner": None,
    "group": None,
    "copy_to": None,
    "copy_delete": False,
    "status_file": None,
    "lock_timeout": 600,
}

SECRET_OPTIONS = ("login_password",)


def make_options(values: Dict[str, Any]) -> Options:
    opts = options_with_defaults(values, DEFAULTS, ACTIONS)
    if not opts.backup_dir:
        raise store.BackupError("backup_dir is required")
    if opts.format not in ("custom", "directory"):
        raise store.BackupError(f"format must be custom or directory, got {opts.format!r}")
    if int(opts.jobs) < 1:
        raise store.BackupError("jobs must be >= 1")
    if opts.format == "custom" and int(opts.jobs) != 1 and opts.action == "dump":
        raise store.BackupError("jobs > 1 needs format: directory (pg_dump writes custom format serially)")
    if not 0 <= float(opts.min_size_ratio) <= 1:
        raise store.BackupError("min_size_ratio must be between 0 and 1")
    check_retention(opts)
    if not opts.scratch_db:
        opts["scratch_db"] = f"{opts.database}_drill"
    if not opts.target_db:
        opts["target_db"] = opts.database
    if opts.scratch_db in (opts.database, opts.maintenance_db):
        raise store.BackupError("scratch_db must differ from database and maintenance_db (it is dropped)")
    return opts


# ---------------------------------------------------------------- connection and programs


def client_env(opts: Options) -> Dict[str, str]:
    """Environment for pg_dump/pg_restore: connection settings and secrets, never argv."""
    env = dict(os.environ)
    for key in ("PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGPASSFILE", "PGDATABASE"):
        env.pop(key, None)
    if opts.login_host:
        env["PGHOST"] = str(opts.login_host)
    if opts.login_port:
        env["PGPORT"] = str(opts.login_port)
    if opts.login_user:
        env["PGUSER"] = str(opts.login_user)
    if opts.login_password:
        env["PGPASSWORD"] = str(opts.login_password)
    if opts.passfile:
        env["PGPASSFILE"] = str(opts.passfile)
    env.setdefault("LANG", "C.UTF-8")
    return env


def program(opts: Options, name: str) -> str:
    if opts.pg_bin_dir:
        return os.path.join(opts.pg_bin_dir, name)
    found = shutil.which(name)
    if not found:
        raise store.BackupError(f"{name} not found in PATH (install the PostgreSQL client or set pg_bin_dir)")
    return found


def run(argv: List[str], env: Dict[str, str], what: str) -> str:
    proc = subprocess.run(argv, env=env, capture_output=True, check=False)  # pylint: disable=ansible-bad-function
    if proc.returncode != 0:
        raise store.BackupError(
            f"{what} failed (exit {proc.returncode}): {proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    return proc.stdout.decode("utf-8", "replace")


def connect(opts: Options, dbname: str) -> Any:
    if psycopg2 is None:
        raise store.BackupError("psycopg2 is required (Debian: python3-psycopg2)")
    params: Dict[str, Any] = {"dbname": dbname, "application_name": "omero_backup"}
    if opts.login_host:
        params["host"] = opts.login_host
    if opts.login_port:
        params["port"] = int(opts.login_port)
    if opts.login_user:
        params["user"] = opts.login_user
    if opts.login_password:
        params["password"] = opts.login_password
    if opts.passfile:
        params["passfile"] = opts.passfile
    try:
        return psycopg2.connect(**params)
    except psycopg2.Error as exc:
        raise store.BackupError(f"cannot connect to database {dbname}: {str(exc).strip()}") from None


# ---------------------------------------------------------------- catalogue queries

TABLES_SQL = (
    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%' "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') "
    "ORDER BY 1, 2"
)


def list_tables(cur: Any) -> List[Tuple[str, str]]:
    cur.execute(TABLES_SQL)
    return [(row[0], row[1]) for row in cur.fetchall()]


def row_counts(cur: Any, tables: List[Tuple[str, str]]) -> Dict[str, int]:
    counts = {}
    for schema, table in tables:
        cur.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        counts[f"{schema}.{table}"] = int(cur.fetchone()[0])
    return counts


def schema_version(cur: Any) -> Optional[Dict[str, Any]]:
    """OMERO's schema version: the latest row of ``dbpatch`` (None when there is none)."""
    cur.execute("SELECT to_regclass('public.dbpatch') IS NOT NULL")
    if not cur.fetchone()[0]:
        return None
    cur.execute("SELECT currentversion, currentpatch FROM public.dbpatch ORDER BY id DESC LIMIT 1")
    row = cur.fetchone()
    if row is None:
        return None
    return {"version": row[0], "patch": int(row[1]) if row[1] is not None else None}


def user_table_count(cur: Any) -> int:
    return len(list_tables(cur))


# ---------------------------------------------------------------- pg_restore --list


def toc_table_data(toc_text: str) -> List[str]:
    """``schema.table`` of every TABLE DATA entry of a ``pg_restore --list`` output."""
    tables = []
    for line in toc_text.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        marker = " TABLE DATA "
        if marker not in line:
            continue
        # "<schema> <table> <owner>": the table name may contain spaces, the others rarely do.
        rest = line.split(marker, 1)[1].split(" ")
        if len(rest) >= 3:
            tables.append(f"{rest[0]}.{' '.join(rest[1:-1])}")
    return tables


def dump_target(set_dir: str, manifest: Dict[str, Any]) -> str:
    return os.path.join(set_dir, manifest["dump"])


# ---------------------------------------------------------------- ownership


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


# ---------------------------------------------------------------- actions


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
        # Also run outside Ansible (by the systemd services), so no module.run_command.
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # pylint: disable=ansible-bad-function
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


def _drop_database(opts: Options, name: str) -> None:
    conn = connect(opts, opts.maintenance_db)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        force = sql.SQL(" WITH (FORCE)") if conn.server_version >= 130000 else sql.SQL("")
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)
    finally:
        conn.close()


def _create_database(opts: Options, name: str, owner: Optional[str]) -> None:
    conn = connect(opts, opts.maintenance_db)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        query = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
        if owner:
            query = query + sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        cur.execute(query)
    finally:
        conn.close()


def _database_state(opts: Options, name: str) -> Optional[int]:
    """None when the database does not exist, else its number of user tables."""
    conn = connect(opts, opts.maintenance_db)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
    finally:
        conn.close()
    if not exists:
        return None
    conn = connect(opts, name)
    try:
        return user_table_count(conn.cursor())
    finally:
        conn.close()


def _role_exists(opts: Options, role: str) -> bool:
    conn = connect(opts, opts.maintenance_db)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        return cur.fetchone() is not None
    finally:
        conn.close()


def _pg_restore(opts: Options, item: Dict[str, Any], target: str) -> float:
    manifest = item["manifest"]
    argv = [program(opts, "pg_restore"), "--exit-on-error", "--no-password", f"--dbname={target}"]
    if opts.no_owner:
        argv += ["--no-owner", "--no-privileges"]
    if int(opts.jobs) > 1:
        argv.append(f"--jobs={int(opts.jobs)}")
    else:
        argv.append("--single-transaction")
    argv.append(dump_target(item["path"], manifest))
    clock = time.monotonic()
    run(argv, client_env(opts), f"pg_restore into {target}")
    return time.monotonic() - clock


def compare_restored(opts: Options, target: str, manifest: Dict[str, Any]) -> Tuple[List[str], Any]:
    """Row counts and schema version of a restored database against the manifest."""
    conn = connect(opts, target)
    try:
        cur = conn.cursor()
        expected = manifest.get("tables") or {}
        tables = list_tables(cur)
        counts = row_counts(cur, tables)
        restored_schema = schema_version(cur)
    finally:
        conn.close()
    mismatches = []
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            mismatches.append(f"{table}: manifest {expected.get(table)}, restored {counts.get(table)}")
    if restored_schema != manifest.get("omero_schema"):
        mismatches.append(
            "OMERO schema version: manifest {}, restored {}".format(manifest.get("omero_schema"), restored_schema)
        )
    return mismatches, {"tables": len(counts), "total_rows": sum(counts.values()), "omero_schema": restored_schema}


def action_drill(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        item = store.find_set(opts.backup_dir, opts.backup)
        if check_mode:
            return {"changed": False, "backup": item["name"], "msg": "would drill backup {}".format(item["name"])}
        require_verified(opts, item)
        manifest = item["manifest"]
        _drop_database(opts, opts.scratch_db)
        _create_database(opts, opts.scratch_db, None)
        try:
            seconds = _pg_restore(opts, item, opts.scratch_db)
            mismatches, restored = compare_restored(opts, opts.scratch_db, manifest)
        finally:
            _drop_database(opts, opts.scratch_db)
    size_gb = manifest["total_size"] / float(1 << 30)
    result = {
        "changed": False,
        "backup": item["name"],
        "scratch_db": opts.scratch_db,
        "restore_seconds": round(seconds, 3),
        "seconds_per_gb": round(seconds / size_gb, 3) if size_gb else None,
        "tables_checked": restored["tables"],
        "total_rows": restored["total_rows"],
        "omero_schema": restored["omero_schema"],
        "mismatches": mismatches,
    }
    if mismatches:
        raise store.BackupError(
            "drill of {} FAILED: the restored copy differs from the manifest: {}".format(
                item["name"], "; ".join(mismatches[:20])
            )
        )
    result["msg"] = (
        f"drill of {item['name']} passed: {restored['tables']} tables, {restored['total_rows']} rows,"
        f" schema {restored['omero_schema']}, restored in {seconds:.1f}s"
    )
    return result


def action_restore(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        item = store.find_set(opts.backup_dir, opts.backup)
        require_verified(opts, item, ", not restoring")
        manifest = item["manifest"]
        state = _database_state(opts, opts.target_db)
        if state and not opts.force:
            raise store.BackupError(
                f"database {opts.target_db} already holds {state} tables; not restoring over it"
                " (set force: true to replace it)"
            )
        owner = manifest.get("database_owner")
        if owner and not _role_exists(opts, owner):
            raise store.BackupError(
                f"role {owner} (owner of the backed-up database) does not exist: apply the database role first"
            )
        if check_mode:
            return {
                "changed": True,
                "backup": item["name"],
                "msg": "would restore {} into {}".format(item["name"], opts.target_db),
            }
        if state is not None:
            _drop_database(opts, opts.target_db)
        _create_database(opts, opts.target_db, owner)
        seconds = _pg_restore(opts, item, opts.target_db)
        mismatches, restored = compare_restored(opts, opts.target_db, manifest)
    if mismatches:
        raise store.BackupError(
            "restore of {} into {} differs from the manifest: {}".format(
                item["name"], opts.target_db, "; ".join(mismatches[:20])
            )
        )
    return {
        "changed": True,
        "backup": item["name"],
        "target_db": opts.target_db,
        "replaced": state is not None and state > 0,
        "restore_seconds": round(seconds, 3),
        "tables": restored["tables"],
        "total_rows": restored["total_rows"],
        "omero_schema": restored["omero_schema"],
        "msg": (
            f"restored {item['name']} into {opts.target_db}: {restored['tables']} tables, {restored['total_rows']} rows"
        ),
    }


def action_prune(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        sets = store.list_sets(opts.backup_dir)
        points = [BackupPoint(s["name"], s["created"], True) for s in sets if s["good"]]
        plan = plan_retention(points, int(opts.keep_daily), int(opts.keep_weekly), int(opts.keep_monthly))
        leftovers = store.stale_temporaries(opts.backup_dir)
        by_name = {s["name"]: s for s in sets}
        if not check_mode:
            for name in plan.delete:
                store.remove_tree(by_name[name]["path"])
            for leftover in leftovers:
                store.remove_tree(leftover)
    not_good = [s["name"] for s in sets if not s["good"]]
    before = "".join("{}\n".format(s["name"]) for s in sets if s["good"])
    after = "".join(f"{n}\n" for n in sorted(plan.keep, key=lambda n: by_name[n]["created"]))
    return {
        "changed": bool(plan.delete or leftovers),
        "kept": plan.keep,
        "deleted": plan.delete,
        "reasons": plan.reasons,
        "not_good": not_good,
        "removed_temporaries": [os.path.basename(p) for p in leftovers],
        "diff": {"before": before, "after": after, "before_header": opts.backup_dir, "after_header": opts.backup_dir},
        "msg": f"kept {len(plan.keep)} good backups, {'would delete' if check_mode else 'deleted'} {len(plan.delete)}",
    }


def action_list(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    sets = store.list_sets(opts.backup_dir)
    backups = []
    for s in sets:
        m = s["manifest"] or {}
        backups.append(
            {
                "name": s["name"],
                "good": s["good"],
                "created": m.get("created"),
                "size": m.get("total_size"),
                "omero_schema": m.get("omero_schema"),
                "total_rows": m.get("total_rows"),
            }
        )
    newest = store.newest_good(sets)
    return {
        "changed": False,
        "backups": backups,
        "newest_good": newest["name"] if newest else None,
        "msg": f"{len(backups)} backups, newest good: {newest['name'] if newest else 'none'}",
    }


def copy_store(opts: Options) -> str:
    """rsync the complete sets to the second location (temporaries and the lock excluded)."""
    argv = ["rsync", "--archive", "--exclude=.*"]
    if opts.copy_delete:
        argv.append("--delete")
    argv += [opts.backup_dir.rstrip("/") + "/", opts.copy_to]
    run(argv, client_env(opts), f"rsync to {opts.copy_to}")
    return opts.copy_to


DISPATCH: Dict[str, Callable[[Options, bool], Dict[str, Any]]] = {
    "dump": action_dump,
    "verify": action_verify,
    "drill": action_drill,
    "prune": action_prune,
    "restore": action_restore,
    "list": action_list,
}


def perform(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    """Run one action; record its outcome in the status file (outside check mode)."""
    clock = time.monotonic()
    try:
        try:
            result = DISPATCH[opts.action](opts, check_mode)
        except OSError as exc:
            hint = " (the backup disk is full)" if exc.errno == errno.ENOSPC else ""
            raise store.BackupError(f"{opts.action} failed: {exc}{hint}") from None
    except store.BackupError as exc:
        if not check_mode and opts.action != "list":
            store.update_status(opts.status_file, opts.action, {"ok": False, "message": str(exc)})
        raise
    if not check_mode and opts.action != "list":
        record = {k: v for k, v in result.items() if k in ("backup", "size", "total_rows", "deleted", "mismatches")}
        record.update({"ok": True, "message": result.get("msg"), "seconds": round(time.monotonic() - clock, 3)})
        store.update_status(opts.status_file, opts.action, record)
    return result
