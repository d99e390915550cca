# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Putting a restored database live, going back, and removing what was set aside.

* ``swap``: live ``<db>`` -> ``<db>_before_restore_<UTC stamp>`` and the verified restored
  copy -> ``<db>``, both renames in ONE transaction: either both happen or neither.
* ``swap_back``: the rollback of a restore: live ``<db>`` -> ``<db>_rolled_back_<stamp>``
  and the newest (or the named) set-aside database -> ``<db>``, in one transaction.
* ``cleanup``: drops the set-aside databases older than ``set_aside_keep_days``.

Nothing is ever dropped by swap or swap_back. PostgreSQL renames a database only when
nobody is connected to it: the playbooks stop OMERO everywhere first; other sessions
are refused by name, or ended with ``terminate_sessions``.
"""

from __future__ import annotations

import datetime
import re
import time
from typing import Any, Dict, List, Tuple

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_catalogue import (
    database_exists,
    databases_like,
    drop_database,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import cursor, sql
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_restore import (
    STAMP_FORMAT,
    VERIFIED_MARK,
    stamped_name,
    verified_copy_of,
)

SET_ASIDE_KINDS = ("before_restore", "rolled_back")
SESSION_WAIT_SECONDS = 30


def sessions_on(opts: Options, names: List[str]) -> List[str]:
    """Other sessions connected to any of ``names``, described for a person."""
    with cursor(opts, opts.maintenance_db) as cur:
        cur.execute(
            "SELECT datname, usename, coalesce(nullif(application_name, ''), '?'), coalesce(host(client_addr), 'local')"
            " FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid() ORDER BY 1, 2",
            (names,),
        )
        return ["{} ({} via {} from {})".format(*row) for row in cur.fetchall()]


def end_sessions(opts: Options, names: List[str]) -> List[str]:
    """Refuse, or with terminate_sessions end, the other sessions on ``names``."""
    found = sessions_on(opts, names)
    if not found:
        return []
    if not opts.terminate_sessions:
        raise store.BackupError(
            "sessions are connected to {}: {} (stop OMERO on every node first, or set terminate_sessions);"
            " nothing was renamed".format(", ".join(names), "; ".join(found))
        )
    with cursor(opts, opts.maintenance_db, autocommit=True) as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (names,),
        )
    deadline = time.monotonic() + SESSION_WAIT_SECONDS
    while sessions_on(opts, names):
        if time.monotonic() >= deadline:
            raise store.BackupError(f"sessions on {', '.join(names)} did not end in {SESSION_WAIT_SECONDS}s")
        time.sleep(0.5)
    return found


def rename_together(opts: Options, renames: List[Tuple[str, str]]) -> None:
    """Every rename in one transaction: on any error none of them has happened."""
    try:
        with cursor(opts, opts.maintenance_db) as cur:
            for old, new in renames:
                cur.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))
    except store.BackupError as exc:
        raise store.BackupError(f"{exc}; nothing was renamed, the live database {opts.database} is unchanged") from None


def _plan(opts: Options, renames: List[Tuple[str, str]], check_mode: bool, result: Dict[str, Any]) -> Dict[str, Any]:
    if check_mode:
        result["msg"] = "would rename " + ", ".join(f"{old} -> {new}" for old, new in renames)
        return result
    result["ended_sessions"] = end_sessions(opts, [old for old, _new in renames])
    rename_together(opts, renames)
    result["msg"] = "renamed " + ", ".join(f"{old} -> {new}" for old, new in renames)
    return result


def action_swap(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    live, restored = opts.database, opts.target_db
    if not restored:
        raise store.BackupError(
            "swap needs target_db: the restored database to put live (the restore action's target_db)"
        )
    found = [d for d in databases_like(opts, restored) if d["name"] == restored]
    if not found:
        raise store.BackupError(f"database {restored} does not exist; the live database {live} is unchanged")
    backup = verified_copy_of(found[0]["comment"])
    if backup is None:
        raise store.BackupError(
            f"database {restored} is not a verified restore (its comment does not start with {VERIFIED_MARK!r}):"
            f" refusing to put it live; the live database {live} is unchanged"
        )
    aside = opts.set_aside_db or stamped_name(live, "before_restore")
    if database_exists(opts, aside):
        raise store.BackupError(f"database {aside} already exists; the live database {live} is unchanged")
    renames = [(live, aside), (restored, live)] if database_exists(opts, live) else [(restored, live)]
    result = {
        "changed": True,
        "backup": backup,
        "target_db": restored,
        "set_aside_db": aside if len(renames) == 2 else None,
    }
    return _plan(opts, renames, check_mode, result)


def set_aside_databases(opts: Options) -> List[Dict[str, Any]]:
    """The databases swap and swap_back set aside, oldest first, each with its kind and UTC time."""
    pattern = re.compile(r"^{}_({})_(\d{{8}}_\d{{6}})$".format(re.escape(opts.database), "|".join(SET_ASIDE_KINDS)))
    found = []
    for item in databases_like(opts, f"{opts.database}_"):
        match = pattern.match(item["name"])
        if match:
            when = datetime.datetime.strptime(match.group(2), STAMP_FORMAT).replace(tzinfo=datetime.timezone.utc)
            found.append({"name": item["name"], "kind": match.group(1), "time": when})
    return sorted(found, key=lambda d: (d["time"], d["name"]))


def action_swap_back(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    live = opts.database
    aside = opts.set_aside_db
    if not aside:
        candidates = [d["name"] for d in set_aside_databases(opts) if d["kind"] == "before_restore"]
        if not candidates:
            raise store.BackupError(
                f"no {live}_before_restore_* database to go back to; the live database is unchanged"
            )
        aside = candidates[-1]
    elif not database_exists(opts, aside):
        raise store.BackupError(f"database {aside} does not exist; the live database {live} is unchanged")
    displaced = stamped_name(live, "rolled_back")
    renames = [(live, displaced), (aside, live)] if database_exists(opts, live) else [(aside, live)]
    result = {"changed": True, "set_aside_db": aside, "rolled_back_db": displaced if len(renames) == 2 else None}
    return _plan(opts, renames, check_mode, result)


def action_cleanup(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    limit = store.utcnow() - datetime.timedelta(days=int(opts.set_aside_keep_days))
    found = set_aside_databases(opts)
    doomed = [d["name"] for d in found if d["time"] <= limit]
    kept = [d["name"] for d in found if d["time"] > limit]
    if not check_mode:
        for name in doomed:
            drop_database(opts, name)
    verb = "would drop" if check_mode else "dropped"
    return {
        "changed": bool(doomed),
        "dropped": doomed,
        "kept": kept,
        "diff": {"before": "".join(f"{d['name']}\n" for d in found), "after": "".join(f"{n}\n" for n in kept)},
        "msg": (
            f"{verb} {len(doomed)} set-aside databases, kept {len(kept)} younger than {opts.set_aside_keep_days} days"
        ),
    }
