# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the backup code asks PostgreSQL's catalogue: tables, row counts, OMERO's schema
version, databases and roles; and what it reads in a dump's table of contents."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import cursor, sql

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


# ---------------------------------------------------------------- databases and roles


def database_exists(opts: Options, name: str) -> bool:
    with cursor(opts, opts.maintenance_db) as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return cur.fetchone() is not None


def database_state(opts: Options, name: str) -> Optional[int]:
    """None when the database does not exist, else its number of user tables."""
    if not database_exists(opts, name):
        return None
    with cursor(opts, name) as cur:
        return len(list_tables(cur))


def databases_like(opts: Options, prefix: str) -> List[Dict[str, Any]]:
    """Name and comment of every database whose name starts with ``prefix``, by name."""
    with cursor(opts, opts.maintenance_db) as cur:
        cur.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE left(datname, length(%s)) = %s ORDER BY datname",
            (prefix, prefix),
        )
        return [{"name": row[0], "comment": row[1]} for row in cur.fetchall()]


def role_exists(opts: Options, role: str) -> bool:
    with cursor(opts, opts.maintenance_db) as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        return cur.fetchone() is not None


def create_database(opts: Options, name: str, owner: Optional[str]) -> None:
    with cursor(opts, opts.maintenance_db, autocommit=True) as cur:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
        if owner:
            query = query + sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        cur.execute(query)


def drop_database(opts: Options, name: str) -> None:
    with cursor(opts, opts.maintenance_db, autocommit=True) as cur:
        force = sql.SQL(" WITH (FORCE)") if cur.connection.server_version >= 130000 else sql.SQL("")
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)


def comment_database(opts: Options, name: str, comment: str) -> None:
    with cursor(opts, opts.maintenance_db, autocommit=True) as cur:
        cur.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(name)), (comment,))
