# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``drill`` action: restore a set into a scratch database, compare it with the
manifest, drop the scratch database."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_catalogue import create_database, drop_database
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_verify import (
    compare_restored,
    pg_restore_into,
    require_verified,
)


def action_drill(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        item = store.find_set(opts.backup_dir, opts.backup)
        if check_mode:
            return {"changed": False, "backup": item["name"], "msg": "would drill backup {}".format(item["name"])}
        require_verified(opts, item)
        manifest = item["manifest"]
        drop_database(opts, opts.scratch_db)
        create_database(opts, opts.scratch_db, None)
        try:
            seconds = pg_restore_into(opts, item, opts.scratch_db)
            mismatches, restored = compare_restored(opts, opts.scratch_db, manifest)
        finally:
            drop_database(opts, opts.scratch_db)
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
