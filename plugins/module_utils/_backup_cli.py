# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``omero-backup`` command run by the backup role's systemd services.

``omero-backup --config FILE ACTION [--backup NAME]`` reads the options the modules take
from a JSON file the role writes, runs the same code as the ``omero_backup`` and
``omero_backup_data`` modules, prints the result as JSON on stdout and any failure on
stderr, and exits non-zero on failure, so systemd marks the unit failed and the journal
shows why. Database actions: dump, verify, drill, prune, list. Data actions (restic):
data-run, data-backup, data-forget, data-check, data-snapshots.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from typing import Any, Dict, List, Optional

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_restic as rs
from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError, update_status

DB_ACTIONS = ("dump", "verify", "drill", "prune", "list")
DATA_ACTIONS = ("data-run", "data-backup", "data-forget", "data-check", "data-snapshots")


def load_config(path: str, section: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        raise BackupError(f"{path} has no {section!r} section")
    return dict(data[section])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="omero-backup", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", default="/etc/omero-backup/config.json", help="JSON options written by the role")
    parser.add_argument("action", choices=DB_ACTIONS + DATA_ACTIONS)
    parser.add_argument("--backup", help="backup set name for verify/drill (default: the newest good one)")
    args = parser.parse_args(argv)
    values: Dict[str, Any] = {}
    try:
        if args.action in DB_ACTIONS:
            values = load_config(args.config, "database")
            values["action"] = args.action
            if args.backup:
                values["backup"] = args.backup
            result = pg.perform(pg.make_options(values))
        else:
            values = load_config(args.config, "data")
            values["action"] = args.action.split("-", 1)[1]
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
