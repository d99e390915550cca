# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``restore`` action: a backup set into a NEW database, checked against its manifest.

Nothing here touches the live database: a restore that fails (pg_restore error, a row
count or schema version that differs from the manifest) drops only the database it
created and says that the live one is untouched. A restored copy that passed is marked
with a comment (``VERIFIED_MARK``); only such a copy can be put live by the ``swap``
action (_backup_pg_swap).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_catalogue import (
    comment_database,
    create_database,
    database_exists,
    drop_database,
    role_exists,
)
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_verify import (
    compare_restored,
    pg_restore_into,
    require_verified,
)

VERIFIED_MARK = "bioimage.omero verified restore of "
STAMP_FORMAT = "%Y%m%d_%H%M%S"
MAX_NAME = 63  # PostgreSQL truncates longer identifiers


def stamped_name(database: str, kind: str) -> str:
    """``<database>_<kind>_<UTC stamp>``, refused when PostgreSQL would truncate it."""
    name = f"{database}_{kind}_{store.utcnow().strftime(STAMP_FORMAT)}"
    if len(name) > MAX_NAME:
        raise store.BackupError(f"database name {name} is longer than {MAX_NAME} characters: use a shorter database")
    return name


def verified_copy_of(comment: Optional[str]) -> Optional[str]:
    """The backup a database comment says it is a verified copy of, or None."""
    if comment and comment.startswith(VERIFIED_MARK):
        return comment[len(VERIFIED_MARK) :].split(" ", 1)[0]
    return None


def action_restore(opts: Options, check_mode: bool = False) -> Dict[str, Any]:
    untouched = f"the live database {opts.database} is untouched"
    with store.StoreLock(opts.backup_dir, opts.lock_timeout):
        item = store.find_set(opts.backup_dir, opts.backup)
        require_verified(opts, item, f", not restoring ({untouched})")
        manifest = item["manifest"]
        target = opts.target_db or stamped_name(opts.database, "restored")
        if database_exists(opts, target):
            raise store.BackupError(
                f"database {target} already exists: a restore writes into a new database only ({untouched})"
            )
        owner = manifest.get("database_owner")
        if owner and not role_exists(opts, owner):
            raise store.BackupError(
                f"role {owner} (owner of the backed-up database) does not exist: apply the database role first"
                f" ({untouched})"
            )
        if check_mode:
            return {
                "changed": True,
                "backup": item["name"],
                "target_db": target,
                "msg": "would restore {} into the new database {}".format(item["name"], target),
            }
        create_database(opts, target, owner)
        try:
            seconds = pg_restore_into(opts, item, target)
            mismatches, restored = compare_restored(opts, target, manifest)
            if mismatches:
                raise store.BackupError("the restored copy differs from the manifest: " + "; ".join(mismatches[:20]))
        except store.BackupError as exc:
            drop_database(opts, target)
            raise store.BackupError(
                f"restore of {item['name']} FAILED, {untouched} (the partial copy {target} was dropped): {exc}"
            ) from None
        except BaseException:
            drop_database(opts, target)
            raise
        comment_database(opts, target, f"{VERIFIED_MARK}{item['name']} at {store.format_time(store.utcnow())}")
    return {
        "changed": True,
        "backup": item["name"],
        "target_db": target,
        "restore_seconds": round(seconds, 3),
        "tables": restored["tables"],
        "total_rows": restored["total_rows"],
        "omero_schema": restored["omero_schema"],
        "msg": (
            f"restored {item['name']} into the new database {target} and checked it against the manifest:"
            f" {restored['tables']} tables, {restored['total_rows']} rows; {untouched} until the swap"
        ),
    }
