#!/usr/bin/python
# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: omero_backup
short_description: Dump, verify, drill, prune and safely restore OMERO database backups
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
    the newest good backup is never deleted, whatever the settings. Sets that are not good (failed or
    incomplete) never count as backups; the newest one is kept for diagnosis, older ones are deleted once
    older than O(failed_max_age_days).
  - V(restore) restores a backup into a NEW database O(target_db) (default C(<database>_restored_<UTC stamp>))
    and checks row counts and schema version against the manifest. It never touches the live database
    O(database); on any failure it drops only the database it created and says the live one is untouched.
    A copy that passed is marked as verified (a database comment).
  - V(swap) puts a verified restored copy O(target_db) live. It renames O(database) to O(set_aside_db) (default
    C(<database>_before_restore_<UTC stamp>)) and O(target_db) to O(database) in one transaction, so either both
    renames happen or none. Stop every OMERO server first (C(playbooks/restore.yml) does); other sessions on
    these databases are refused, or ended with O(terminate_sessions=true).
  - V(swap_back) undoes a restore. It renames O(database) to C(<database>_rolled_back_<UTC stamp>) and the set-aside
    database (O(set_aside_db), default the newest C(<database>_before_restore_*)) back to O(database).
  - V(cleanup) drops the databases V(swap) and V(swap_back) set aside once older than O(set_aside_keep_days).
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
    description: V(prune) returns the list of good backups before and after, V(cleanup) the set-aside databases.
options:
  action:
    description:
      - What to do.
    type: str
    choices: [dump, verify, drill, prune, restore, swap, swap_back, cleanup, list]
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
      - For V(restore), the new database to restore into; it must not exist.
        Defaults to C(<database>_restored_<UTC stamp>).
      - For V(swap), the verified restored database to put live (required).
    type: str
  set_aside_db:
    description:
      - For V(swap), the name the live database is renamed to. Defaults to C(<database>_before_restore_<UTC stamp>).
      - For V(swap_back), the set-aside database to bring back. Defaults to the newest C(<database>_before_restore_*).
    type: str
  set_aside_keep_days:
    description:
      - For V(cleanup), drop set-aside databases (C(<database>_before_restore_*), C(<database>_rolled_back_*))
        at least this many days old; V(0) drops them all.
    type: int
    default: 7
  terminate_sessions:
    description:
      - For V(swap) and V(swap_back), end the other sessions connected to the databases being renamed
        instead of refusing. Only once OMERO is stopped on every node.
    type: bool
    default: false
  failed_max_age_days:
    description:
      - For V(prune), delete sets that are not good (failed or incomplete) once older than this many days;
        the newest of them is always kept for diagnosis.
    type: int
    default: 14
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

- name: Restore a chosen backup into a new database (the live one is untouched)
  bioimage.omero.omero_backup:
    action: restore
    backup_dir: /var/backups/omero/db
    backup: omero-20261121T013000Z
  become: true
  become_user: postgres
  register: restored

- name: With OMERO stopped everywhere, put the restored copy live (the old one is set aside)
  bioimage.omero.omero_backup:
    action: swap
    backup_dir: /var/backups/omero/db
    target_db: "{{ restored.target_db }}"
  become: true
  become_user: postgres

- name: Roll the restore back (the newest set-aside database goes live again)
  bioimage.omero.omero_backup:
    action: swap_back
    backup_dir: /var/backups/omero/db
  become: true
  become_user: postgres
"""

RETURN = r"""
msg:
  description: What happened, in one line.
  returned: always
  type: str
backup:
  description: Name of the backup set dumped, verified, drilled, restored or swapped in.
  returned: when action is dump, verify, drill, restore or swap
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
  description: The new database restored into (V(restore)), or the one put live (V(swap)).
  returned: when action is restore or swap
  type: str
  sample: omero_restored_20261207_093000
set_aside_db:
  description:
    - The database set aside by V(swap) (null when there was no live database), or brought back by V(swap_back).
  returned: when action is swap or swap_back
  type: str
  sample: omero_before_restore_20261207_094500
rolled_back_db:
  description: The database V(swap_back) took out of service (the restored one).
  returned: when action is swap_back
  type: str
ended_sessions:
  description: Sessions ended by O(terminate_sessions) before the renames.
  returned: when action is swap or swap_back, outside check mode
  type: list
  elements: str
dropped:
  description: Set-aside databases dropped (or that would be, in check mode).
  returned: when action is cleanup
  type: list
  elements: str
kept:
  description: Good backups kept, newest first (V(prune)); set-aside databases kept (V(cleanup)).
  returned: when action is prune or cleanup
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
  description:
    - Sets without a good manifest that are kept (the newest, and those younger than O(failed_max_age_days)).
    - They never count as backups.
  returned: when action is prune
  type: list
  elements: str
deleted_not_good:
  description: Sets without a good manifest deleted for their age (or that would be, in check mode).
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
        failed_max_age_days=dict(type="int", default=14),
        scratch_db=dict(type="str"),
        target_db=dict(type="str"),
        set_aside_db=dict(type="str"),
        set_aside_keep_days=dict(type="int", default=7),
        terminate_sessions=dict(type="bool", default=False),
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
