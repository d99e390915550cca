# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``omero-backup`` command run by the backup role's systemd services.

``omero-backup --config FILE ACTION [--backup NAME]`` reads the options the modules take
from a JSON file the role writes, runs the same code as the ``omero_backup`` and
``omero_backup_data`` modules, prints the result as JSON on stdout and any failure on
stderr, and exits non-zero on failure, so systemd marks the unit failed and the journal
shows why. Database actions: dump, verify, drill, prune, list, and ``fetch --from
sftp:HOST:/DIR`` (bring back the sets the local store lacks from the backup store, each
checked against its manifest). Data actions (restic): data-run, data-backup, data-forget,
data-check, data-snapshots, data-drill.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from typing import Any, Dict, List, Optional

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg_copy as copy
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_restic as rs
from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError, update_status

DB_ACTIONS = ("dump", "verify", "drill", "prune", "list", "fetch")
DATA_ACTIONS = ("data-run", "data-backup", "data-forget", "data-check", "data-snapshots", "data-drill")


def load_config(path: str, section: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        raise BackupError(f"{path} has no {section!r} section")
    return dict(data[section])


def fetch(values: Dict[str, Any], source: Optional[str]) -> Dict[str, Any]:
    """Bring back from the backup store the good sets the local store lacks."""
    if not source or not copy.is_sftp(source):
        raise BackupError(f"fetch needs --from sftp:HOST:/DIR, got {source!r}")
    backup_dir = values.get("backup_dir")
    if not backup_dir:
        raise BackupError("the configuration has no database.backup_dir")
    result: Dict[str, Any] = dict(copy.fetch_sets(backup_dir, source))
    result["changed"] = bool(result["fetched"])
    result["msg"] = "fetched {} set(s) from {}{}".format(
        len(result["fetched"]),
        source,
        "; rejected: " + " | ".join(result["rejected"]) if result["rejected"] else "",
    )
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="omero-backup", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", default="/etc/omero-backup/config.json", help="JSON options written by the role")
    parser.add_argument("action", choices=DB_ACTIONS + DATA_ACTIONS)
    parser.add_argument("--backup", help="backup set name for verify/drill (default: the newest good one)")
    parser.add_argument("--read-data-subset", help="data-check: read back this share of the data (5%%, 1/7, 2G)")
    parser.add_argument("--from", dest="source", help="fetch: the sftp:HOST:/DIR to fetch sets from")
    args = parser.parse_args(argv)
    values: Dict[str, Any] = {}
    try:
        if args.action in DB_ACTIONS:
            values = load_config(args.config, "database")
            values["action"] = args.action
            if args.backup:
                values["backup"] = args.backup
            fetching = args.action == "fetch"
            result = fetch(values, args.source) if fetching else pg.perform(pg.make_options(values))
        else:
            values = load_config(args.config, "data")
            values["action"] = args.action.split("-", 1)[1]
            if args.read_data_subset:
                values["check_read_data_subset"] = args.read_data_subset
            result = rs.perform(rs.make_options(values))
    except BackupError as exc:
        sys.stderr.write(f"omero-backup {args.action} FAILED: {exc}\n")
        return 1
    except Exception as exc:  # an unexpected bug must still fail the unit and reach monitoring
        sys.stderr.write(traceback.format_exc())
        sys.stderr.write(f"omero-backup {args.action} FAILED (unexpected error): {exc!r}\n")
        key = args.action if args.action in DB_ACTIONS else args.action.replace("-", "_")
        # The unit fails anyway and the journal has the traceback: a status write error must not mask it.
        with contextlib.suppress(Exception):
            update_status(values.get("status_file"), key, {"ok": False, "message": f"unexpected error: {exc!r}"})
        return 1
    result.pop("diff", None)
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    sys.stderr.write("omero-backup {}: {}\n".format(args.action, result.get("msg", "done")))
    return 0
