# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``omero-pgbackrest-drill`` command run weekly by the pgbackrest role's timer.

It restores the newest pgBackRest backup into the scratch cluster (the role's
``omero-pgbackrest-scratch`` command), replays the archived WAL to its end, checks that
the OMERO database opens and holds tables, removes the scratch cluster and records the
outcome as the ``pgbackrest_drill`` action of the backup status file (the format of
``_backup_store.update_status``, read by ``omero-metrics``): ``ok``, ``time``,
``last_success``, ``seconds``, ``size`` (bytes of the restored database), ``backup``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError, update_status

ACTION = "pgbackrest_drill"
CHECK_SQL = (
    "SELECT (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))"
    " || '|' || pg_catalog.pg_database_size(current_database())"
)


def _run(argv: Sequence[str], what: str) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)  # pylint: disable=ansible-bad-function
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise BackupError(f"{what} failed (exit {done.returncode}): " + " | ".join(detail))
    return done.stdout


def newest_backup(info_json: str, stanza: str) -> Dict[str, Any]:
    """The newest backup of ``stanza`` in ``pgbackrest info --output=json``."""
    try:
        stanzas = json.loads(info_json)
    except ValueError as exc:
        raise BackupError(f"pgbackrest info is not JSON: {exc}") from None
    for entry in stanzas if isinstance(stanzas, list) else []:
        if entry.get("name") == stanza:
            backups = entry.get("backup") or []
            if not backups:
                raise BackupError(f"stanza {stanza} has no backup to drill")
            return backups[-1]
    raise BackupError(f"stanza {stanza} is not in the repository")


def drill(stanza: str, scratch: str, database: str) -> Dict[str, Any]:
    started = time.monotonic()
    info = _run(["pgbackrest", f"--stanza={stanza}", "--output=json", "info"], "pgbackrest info")
    backup = newest_backup(info, stanza)
    try:
        _run([scratch, "restore"], "restore of the newest backup into the scratch cluster")
        fields = _run([scratch, "psql", database, CHECK_SQL], f"reading database {database}").strip().split("|")
    finally:
        _run([scratch, "remove"], "removal of the scratch cluster")
    tables, size = int(fields[0]), int(fields[1])
    if tables == 0:
        raise BackupError(f"database {database} restored from {backup.get('label')} has no tables")
    seconds = round(time.monotonic() - started, 3)
    return {
        "ok": True,
        "backup": backup.get("label"),
        "backup_type": backup.get("type"),
        "repository_bytes": (backup.get("info") or {}).get("repository", {}).get("delta"),
        "seconds": seconds,
        "size": size,
        "tables": tables,
        "message": (
            f"drill of {backup.get('label')} passed: database {database} restored with WAL replayed,"
            f" {tables} tables, {size} bytes, in {seconds:.1f}s"
        ),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="omero-pgbackrest-drill", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--stanza", required=True)
    parser.add_argument("--scratch", required=True, help="the omero-pgbackrest-scratch command")
    parser.add_argument("--database", required=True, help="database that must open in the restored cluster")
    parser.add_argument("--status-file", required=True)
    args = parser.parse_args(argv)
    try:
        result = drill(args.stanza, args.scratch, args.database)
    except (BackupError, OSError, ValueError, IndexError) as exc:
        sys.stderr.write(f"omero-pgbackrest-drill FAILED: {exc}\n")
        update_status(args.status_file, ACTION, {"ok": False, "message": f"drill FAILED: {exc}"})
        return 1
    update_status(args.status_file, ACTION, result)
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0
