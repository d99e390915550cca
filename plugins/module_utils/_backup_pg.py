# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PostgreSQL backups of the OMERO database: the options and the dispatch of every action.

Used by the ``omero_backup`` module and by the ``omero-backup`` command that the backup
role's systemd services run, so both paths execute the same code. Each action lives in
its own file:

* ``_backup_pg_dump``: dump (and ``_backup_pg_copy``: the rsync to a second location);
* ``_backup_pg_verify``: verify, and what drill and restore share (pg_restore, comparison);
* ``_backup_pg_drill``: drill;
* ``_backup_pg_restore``: restore into a new database;
* ``_backup_pg_swap``: swap, swap_back (rollback of a restore), cleanup of set-aside databases;
* ``_backup_pg_prune``: prune (good and failed sets), list;

on ``_backup_pg_client`` (connections, client programs) and ``_backup_pg_catalogue``
(catalogue SQL).
"""

from __future__ import annotations

import errno
import time
from typing import Any, Callable, Dict

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils import _option_domains as domains
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import (
    Options,
    check_domains,
    check_retention,
    options_with_defaults,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import PSYCOPG2_IMPORT_ERROR
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_drill import action_drill
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_dump import action_dump
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_prune import action_list, action_prune
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_restore import action_restore
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_swap import (
    action_cleanup,
    action_swap,
    action_swap_back,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_verify import action_verify

__all__ = ["ACTIONS", "DEFAULTS", "DISPATCH", "PSYCOPG2_IMPORT_ERROR", "make_options", "perform"]

DISPATCH: Dict[str, Callable[[Options, bool], Dict[str, Any]]] = {
    "dump": action_dump,
    "verify": action_verify,
    "drill": action_drill,
    "prune": action_prune,
    "restore": action_restore,
    "swap": action_swap,
    "swap_back": action_swap_back,
    "cleanup": action_cleanup,
    "list": action_list,
}
ACTIONS = tuple(DISPATCH)
# Actions whose outcome is not worth a line in the monitoring status file.
UNRECORDED = ("list",)

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
    "failed_max_age_days": 14,
    "scratch_db": None,
    "target_db": None,
    "set_aside_db": None,
    "set_aside_keep_days": 7,
    "terminate_sessions": False,
    "no_owner": False,
    "owner": None,
    "group": None,
    "copy_to": None,
    "copy_delete": False,
    "status_file": None,
    "lock_timeout": 600,
}

SECRET_OPTIONS = ("login_password",)

# Domains checked before any work (the module and the omero-backup command alike).
DOMAINS: Dict[str, Any] = {
    "login_port": domains.PORT,
    "backup_dir": domains.ABSOLUTE_PATH,
    "passfile": domains.ABSOLUTE_PATH,
    "pg_bin_dir": domains.ABSOLUTE_PATH,
    "status_file": domains.ABSOLUTE_PATH,
    "lock_timeout": domains.POSITIVE,
}


def make_options(values: Dict[str, Any]) -> Options:
    opts = options_with_defaults(values, DEFAULTS, ACTIONS)
    if not opts.backup_dir:
        raise store.BackupError("backup_dir is required")
    check_domains(opts, DOMAINS)
    if opts.format not in ("custom", "directory"):
        raise store.BackupError(f"format must be custom or directory, got {opts.format!r}")
    if int(opts.jobs) < 1:
        raise store.BackupError("jobs must be >= 1")
    if opts.format == "custom" and int(opts.jobs) != 1 and opts.action == "dump":
        raise store.BackupError("jobs > 1 needs format: directory (pg_dump writes custom format serially)")
    if not 0 <= float(opts.min_size_ratio) <= 1:
        raise store.BackupError("min_size_ratio must be between 0 and 1")
    check_retention(opts)
    for key in ("failed_max_age_days", "set_aside_keep_days"):
        if int(opts[key]) < 0:
            raise store.BackupError(f"{key} must be >= 0, got {opts[key]}")
    if not opts.scratch_db:
        opts["scratch_db"] = f"{opts.database}_drill"
    if opts.scratch_db in (opts.database, opts.maintenance_db):
        raise store.BackupError("scratch_db must differ from database and maintenance_db (it is dropped)")
    for key in ("target_db", "set_aside_db"):
        if opts[key] in (opts.database, opts.maintenance_db):
            raise store.BackupError(f"{key} must differ from database and maintenance_db, got {opts[key]!r}")
    return opts


def perform(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    """Run one action; record its outcome in the status file (outside check mode)."""
    clock = time.monotonic()
    record_it = not check_mode and opts.action not in UNRECORDED
    try:
        try:
            result = DISPATCH[opts.action](opts, check_mode)
        except OSError as exc:
            hint = " (the backup disk is full)" if exc.errno == errno.ENOSPC else ""
            raise store.BackupError(f"{opts.action} failed: {exc}{hint}") from None
    except store.BackupError as exc:
        if record_it:
            store.update_status(opts.status_file, opts.action, {"ok": False, "message": str(exc)})
        raise
    if record_it:
        record = {k: v for k, v in result.items() if k in ("backup", "size", "total_rows", "deleted", "mismatches")}
        record.update({"ok": True, "message": result.get("msg"), "seconds": round(time.monotonic() - clock, 3)})
        store.update_status(opts.status_file, opts.action, record)
    return result
