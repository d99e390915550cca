# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``prune`` and ``list`` actions on the dump store.

Good sets follow grandfather-father-son retention; sets that are not good (a manifest
that says otherwise, or none that can be read) are never counted as backups: the newest
of them is kept for diagnosis and older ones are removed once older than
``failed_max_age_days``.
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Dict

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_retention import (
    BackupPoint,
    FailedPoint,
    plan_failed_retention,
    plan_retention,
)


def _failed_point(item: Dict[str, Any]) -> FailedPoint:
    created = item["created"]
    if created is None:
        mtime = os.stat(item["path"]).st_mtime
        created = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)
    return FailedPoint(item["name"], created)


def action_prune(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        sets = store.list_sets(opts.backup_dir)
        points = [BackupPoint(s["name"], s["created"], True) for s in sets if s["good"]]
        plan = plan_retention(points, int(opts.keep_daily), int(opts.keep_weekly), int(opts.keep_monthly))
        failed_keep, failed_delete = plan_failed_retention(
            [_failed_point(s) for s in sets if not s["good"]], store.utcnow(), int(opts.failed_max_age_days)
        )
        leftovers = store.stale_temporaries(opts.backup_dir)
        by_name = {s["name"]: s for s in sets}
        if not check_mode:
            for name in plan.delete + failed_delete:
                store.remove_tree(by_name[name]["path"])
            for leftover in leftovers:
                store.remove_tree(leftover)
    before = "".join("{}\n".format(s["name"]) for s in sets if s["good"])
    after = "".join(f"{n}\n" for n in sorted(plan.keep, key=lambda n: by_name[n]["created"]))
    verb = "would delete" if check_mode else "deleted"
    return {
        "changed": bool(plan.delete or failed_delete or leftovers),
        "kept": plan.keep,
        "deleted": plan.delete,
        "reasons": plan.reasons,
        "not_good": failed_keep,
        "deleted_not_good": failed_delete,
        "removed_temporaries": [os.path.basename(p) for p in leftovers],
        "diff": {"before": before, "after": after, "before_header": opts.backup_dir, "after_header": opts.backup_dir},
        "msg": (
            f"kept {len(plan.keep)} good backups, {verb} {len(plan.delete)};"
            f" kept {len(failed_keep)} failed or incomplete sets, {verb} {len(failed_delete)}"
        ),
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
