#!/usr/bin/python
# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: omero_backup
short_description: Dump, verify, drill, prune and restore OMERO database backups
version_added: 0.1.0
description:
  - Runs on the PostgreSQL node. Keeps a store of backup sets of the OMERO database in O(backup_dir).
  - V(dump) runs C(pg_dump) (custom format, or directory format with O(jobs) parallel jobs) in one
    exported snapshot together with per-table row counts, writes the set under a hidden temporary name,
    fsyncs it and renames it into place, with a C(SHA256SUMS) file and a C(manifest.json) (time, sizes,
    checksums, PostgreSQL version, OMERO schema version from C(dbpatch), per-table row counts).
    A dump with no table data, or smaller than O(min_size_ratio) times the previous good backup, fails
    and is not kept. Any failure (database stopped, disk full) leaves no partial set and deletes nothing.
  - V(verify) re-reads every checksum and the dump's table of contents (C(pg_restore --list)).
  - V(drill) restores a backup into the scratch database O(scratch_db), compares every table's row count
    and the OMERO schema version with the manifest, then drops the scratch database.
  - V(prune) applies grandfather-father-son retention (O(keep_daily), O(keep_weekly), O(keep_monthly));
    the newest good backup is never deleted, whatever the settings.
  - V(restore) restores a backup into O(target_db) on a clean server (refuses a database that already has
    tables unless O(force=true)) and checks row counts and schema version against the manifest.
  - V(list) returns the backup sets.
  - Every action takes an exclusive lock on the store, so timers and playbooks never overlap.
author:
  - bioimage.omero developers (@bioimage-omero)
extends_documentation_fragment:
  - bioimage.omero.backup
  - bioimage.omero.backup.retention
  - bioimage.omero.backup.status
attributes:
  check_mode:
    support: full
    description: Nothing is written or deleted; the result says what would happen.
  diff_mode:
    support: partial
    description: V(prune) returns the list of good backups before and after.
options:
  action:
    description:
      - What to do.
    type: str
    choices: [dump, verify, drill, prune, restore, list]
    default: dump
  backup_dir:
    description:
      - Directory of the backup store (created by the backup role, mode C(0700)).
    type: path
    required: true
  database:
    description:
      - Database to dump.
    type: str
    default: omero
  format:
    description:
      - C(pg_dump) format. V(directory) allows O(jobs) parallel dump and restore jobs for large databases.
    type: str
    choices: [custom, directory]
    default: custom
  jobs:
    description:
      - Parallel jobs for C(pg_dump) (directory format only) and C(pg_restore).
    type: int
    default: 1
  compress:
    description:
      - C(pg_dump) compression level (0-9); empty means C(pg_dump)'s default.
    type: int
  min_size_ratio:
    description:
      - A new dump smaller than this fraction of the previous good backup is rejected as suspicious.
      - V(0) disables the comparison (for example after a deliberate large deletion).
    type: float
    default: 0.5
  backup:
    description:
      - Name of the backup set for V(verify), V(drill) and V(restore); V(newest) means the newest good one.
    type: str
    default: newest
  scratch_db:
    description:
      - Scratch database for V(drill); it is dropped before and after. Defaults to C(<database>_drill).
    type: str
  target_db:
    description:
      - Database to restore into for V(restore). Defaults to O(database).
    type: str
  force:
    description:
      - For V(restore), replace O(target_db) even when it already holds tables.
    type: bool
    default: false
  no_owner:
    description:
      - Restore without object owners and privileges (C(pg_restore --no-owner --no-privileges)), for
        connecting roles that are not superusers.
    type: bool
    default: false
  owner:
    description:
      - User to own the backup files (they are C(0600), directories C(0700)). Empty means the user the module runs as.
    type: str
  group:
    description:
      - Group of the backup files.
    type: str
  copy_to:
    description:
      - After a successful V(dump), copy the complete sets with C(rsync) to this second location
        (a path, or C(host:path) over SSH with keys set up beforehand).
    type: str
  copy_delete:
    description:
      - Delete sets at O(copy_to) that are no longer in O(backup_dir) (mirror the retention).
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another backup action to release the store.
    type: int
    default: 600
requirements:
  - psycopg2 (Debian C(python3-psycopg2))
  - the PostgreSQL client programs (C(pg_dump), C(pg_restore)) of the server's major version or newer
  - rsync when O(copy_to) is set
notes:
  - Times are UTC; retention days, ISO weeks and months are UTC calendar periods.
  - The backup role installs the C(omero-backup) command, which runs this same code from systemd timers.
seealso:
  - module: bioimage.omero.omero_backup_data
"""

EXAMPLES = r"""
- name: Dump the OMERO database now
  bioimage.omero.omero_backup:
    action: dump
    backup_dir: /var/backups/omero/db
    status_file: /var/lib/omero-backup/status.json
  become: true
  become_user: postgres

- name: Apply retention (7 daily, 4 weekly, 12 monthly)
  bioimage.omero.omero_backup:
    action: prune
    backup_dir: /var/backups/omero/db
    keep_monthly: 12
  become: true
  become_user: postgres

- name: Restore-drill the newest backup into a scratch database
  bioimage.omero.omero_backup:
    action: drill
    backup_dir: /var/backups/omero/db
  become: true
  become_user: postgres

- name: Restore a chosen backup onto a freshly installed server
  bioimage.omero.omero_backup:
    action: restore
    backup_dir: /var/backups/omero/db
    backup: omero-20261121T013000Z
  become: true
  become_user: postgres
"""

RETURN = r"""
msg:
  description: What happened, in one line.
  returned: always
  type: str
backup:
  description: Name of the backup set dumped, verified, drilled or restored.
  returned: when action is dump, verify, drill or restore
  type: str
  sample: omero-20261121T013000Z
path:
  description: Directory of the new backup set.
  returned: when action is dump
  type: str
size:
  description: Bytes of dump data in the set.
  returned: when action is dump or verify
  type: int
sha256:
  description: Checksum of the set (the sha256 of its C(SHA256SUMS) text).
  returned: when action is dump or verify
  type: str
tables:
  description: Number of tables dumped or restored.
  returned: when action is dump or restore
  type: int
total_rows:
  description: Rows over all tables (dumped, or found in the restored copy).
  returned: when action is dump, drill or restore
  type: int
omero_schema:
  description: OMERO schema version (latest C(dbpatch) row); null when there is no C(dbpatch) table.
  returned: when action is dump, drill or restore
  type: dict
  sample: {"version": "OMERO5.4", "patch": 0}
postgresql_version:
  description: Server version at dump time.
  returned: when action is dump
  type: str
seconds:
  description: Duration of the dump including checks.
  returned: when action is dump
  type: float
copied_to:
  description: The second location the store was copied to.
  returned: when action is dump and copy_to is set
  type: str
scratch_db:
  description: The scratch database used (and dropped) by the drill.
  returned: when action is drill
  type: str
restore_seconds:
  description: Seconds C(pg_restore) took.
  returned: when action is drill or restore
  type: float
seconds_per_gb:
  description: Restore seconds per GiB of dump data.
  returned: when action is drill
  type: float
tables_checked:
  description: Tables whose row counts were compared.
  returned: when action is drill
  type: int
mismatches:
  description: Differences between the restored copy and the manifest (empty when the drill passes).
  returned: when action is drill
  type: list
  elements: str
target_db:
  description: Database restored into.
  returned: when action is restore
  type: str
replaced:
  description: Whether a non-empty database was replaced (O(force=true)).
  returned: when action is restore
  type: bool
kept:
  description: Good backups kept, newest first.
  returned: when action is prune
  type: list
  elements: str
deleted:
  description: Good backups deleted (or that would be, in check mode).
  returned: when action is prune
  type: list
  elements: str
reasons:
  description: For each kept backup, the rules that keep it (newest, daily, weekly, monthly).
  returned: when action is prune
  type: dict
not_good:
  description: Sets without a good manifest; never counted, never deleted by prune.
  returned: when action is prune
  type: list
  elements: str
removed_temporaries:
  description: Leftovers of killed runs that were removed.
  returned: when action is prune
  type: list
  elements: str
backups:
  description:
    - Every backup set, oldest first, with C(name), C(good), C(created), C(size), C(omero_schema), C(total_rows).
  returned: when action is list
  type: list
  elements: dict
newest_good:
  description: Name of the newest good backup, or null.
  returned: when action is list
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils._backup_module import run_backup_action


def argument_spec() -> dict:
    return dict(
        action=dict(type="str", default="dump", choices=list(pg.ACTIONS)),
        backup_dir=dict(type="path", required=True),
        database=dict(type="str", default="omero"),
        login_host=dict(type="str"),
        login_port=dict(type="int", default=5432),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        passfile=dict(type="path", no_log=False),
        maintenance_db=dict(type="str", default="postgres"),
        pg_bin_dir=dict(type="path"),
        format=dict(type="str", default="custom", choices=["custom", "directory"]),
        jobs=dict(type="int", default=1),
        compress=dict(type="int"),
        min_size_ratio=dict(type="float", default=0.5),
        backup=dict(type="str", default="newest"),
        keep_daily=dict(type="int", default=7),
        keep_weekly=dict(type="int", default=4),
        keep_monthly=dict(type="int", default=6),
        scratch_db=dict(type="str"),
        target_db=dict(type="str"),
        force=dict(type="bool", default=False),
        no_owner=dict(type="bool", default=False),
        owner=dict(type="str"),
        group=dict(type="str"),
        copy_to=dict(type="str"),
        copy_delete=dict(type="bool", default=False),
        status_file=dict(type="path"),
        lock_timeout=dict(type="int", default=600),
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if pg.PSYCOPG2_IMPORT_ERROR is not None and module.params["action"] != "list":
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=pg.PSYCOPG2_IMPORT_ERROR)
    run_backup_action(module, pg)


if __name__ == "__main__":
    main()
