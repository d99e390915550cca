#!/usr/bin/python
# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: omero_backup_data
short_description: Back up the OMERO data directory and configuration with restic
version_added: 0.1.0
description:
  - Runs on the OMERO read-write node. Backs up the OMERO binary repository (O(paths), for example C(/OMERO))
    and the OMERO configuration drop-in files (O(config_paths), read as files so passwords stay intact)
    into a restic repository (deduplicated, encrypted, checked by C(restic check), with its own retention).
  - V(init) creates the repository when it does not exist. V(backup) takes a snapshot; a path that does not
    exist, or files restic cannot read, fail the run. V(forget) applies retention and prunes (the newest
    snapshot is always kept). V(check) runs C(restic check). V(run) does init, backup, forget and check
    (what the backup role's timer runs). V(restore) restores a snapshot (default the latest) and verifies
    the restored files. V(snapshots) lists snapshots. V(drill) restores O(drill_sample_files) files of the
    newest snapshot to scratch space (under O(cache_dir)) and compares their sha256 with the live files that
    have not changed since the snapshot; any difference fails.
  - The repository password is read by restic from O(password_file) (E(RESTIC_PASSWORD_FILE)), which must be
    mode C(0600) or stricter; the repository location goes through E(RESTIC_REPOSITORY). Neither is on a
    command line.
author:
  - bioimage.omero developers (@bioimage-omero)
extends_documentation_fragment:
  - bioimage.omero.backup.retention
  - bioimage.omero.backup.status
attributes:
  check_mode:
    support: full
    description: V(init), V(backup) and V(restore) report what they would do; V(forget) runs C(restic forget --dry-run).
  diff_mode:
    support: none
    description: No diff is returned.
options:
  action:
    description:
      - What to do.
    type: str
    choices: [init, backup, forget, check, run, restore, snapshots, drill]
    default: run
  repository:
    description:
      - restic repository (a local path, or any restic back end such as C(sftp:host:/path) or C(rest:https://...)).
    type: str
    required: true
  password_file:
    description:
      - File holding the repository password, mode C(0600) or stricter.
    type: path
    required: true
  paths:
    description:
      - Data directories to back up (the OMERO binary repository, for example C(/OMERO)).
    type: list
    elements: path
    default: []
  config_paths:
    description:
      - OMERO configuration files or directories to back up as they are (the omero_server role's C(.omero)
        drop-in files, passwords included).
    type: list
    elements: path
    default: []
  exclude:
    description:
      - restic C(--exclude) patterns (for example a regenerable cache such as C(/OMERO/BioFormatsCache)).
    type: list
    elements: str
    default: []
  tag:
    description:
      - Tag of the snapshots this module takes, forgets and restores.
    type: str
    default: omero
  check_read_data_subset:
    description:
      - Also read back this subset of the repository's data in V(check) (C(--read-data-subset), for example V(5%)).
    type: str
  drill_sample_files:
    description:
      - How many files of the newest snapshot V(drill) restores and compares.
    type: int
    default: 20
  snapshot:
    description:
      - Snapshot to restore (an ID, or V(latest)).
    type: str
    default: latest
  target:
    description:
      - Directory to restore into; V(/) puts files back at their original paths.
    type: path
    default: /
  include:
    description:
      - Restore only these paths (C(--include)).
    type: list
    elements: str
    default: []
  cache_dir:
    description:
      - restic cache directory (E(RESTIC_CACHE_DIR)).
    type: path
  restic_bin:
    description:
      - Path of the restic program; empty means the one in E(PATH).
    type: path
requirements:
  - restic (Debian package C(restic))
seealso:
  - module: bioimage.omero.omero_backup
"""

EXAMPLES = r"""
- name: Back up /OMERO and the OMERO config now, apply retention, check the repository
  bioimage.omero.omero_backup_data:
    action: run
    repository: /srv/backup/omero-data
    password_file: /etc/omero-backup/restic-password
    paths: [/OMERO]
    config_paths: [/opt/omero/server/config]
    exclude: [/OMERO/BioFormatsCache]
  become: true

- name: Restore the latest snapshot onto a rebuilt read-write node
  bioimage.omero.omero_backup_data:
    action: restore
    repository: /srv/backup/omero-data
    password_file: /etc/omero-backup/restic-password
  become: true
"""

RETURN = r"""
msg:
  description: What happened, in one line.
  returned: always
  type: str
snapshot:
  description: ID of the snapshot taken or restored.
  returned: when action is backup, run or restore
  type: str
files_new:
  description: New files in the snapshot.
  returned: when action is backup or run
  type: int
files_changed:
  description: Changed files in the snapshot.
  returned: when action is backup or run
  type: int
bytes_added:
  description: Bytes added to the repository after deduplication.
  returned: when action is backup or run
  type: int
total_files:
  description: Files processed.
  returned: when action is backup or run
  type: int
total_bytes:
  description: Bytes processed.
  returned: when action is backup or run
  type: int
config_files:
  description: OMERO configuration files included in the snapshot.
  returned: when action is backup or run
  type: int
files:
  description: Sampled files found identical to the live files.
  returned: when action is drill
  type: int
skipped:
  description: Sampled files changed or removed since the snapshot (not compared).
  returned: when action is drill
  type: int
size:
  description: Bytes compared.
  returned: when action is drill
  type: int
forgotten:
  description: Snapshots removed by retention.
  returned: when action is forget or run
  type: int
initialised:
  description: Whether the run created the repository.
  returned: when action is run
  type: bool
target:
  description: Where the snapshot was restored.
  returned: when action is restore
  type: str
seconds:
  description: Restore duration.
  returned: when action is restore
  type: float
snapshots:
  description: Snapshots with C(id), C(time), C(paths), C(host).
  returned: when action is snapshots
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_restic as rs
from ansible_collections.bioimage.omero.plugins.module_utils._backup_module import run_backup_action


def argument_spec() -> dict:
    return dict(
        action=dict(type="str", default="run", choices=list(rs.ACTIONS)),
        repository=dict(type="str", required=True),
        password_file=dict(type="path", required=True, no_log=False),
        paths=dict(type="list", elements="path", default=[]),
        config_paths=dict(type="list", elements="path", default=[]),
        exclude=dict(type="list", elements="str", default=[]),
        tag=dict(type="str", default="omero"),
        keep_daily=dict(type="int", default=7),
        keep_weekly=dict(type="int", default=4),
        keep_monthly=dict(type="int", default=6),
        check_read_data_subset=dict(type="str"),
        snapshot=dict(type="str", default="latest"),
        target=dict(type="path", default="/"),
        include=dict(type="list", elements="str", default=[]),
        cache_dir=dict(type="path"),
        restic_bin=dict(type="path"),
        status_file=dict(type="path"),
        drill_sample_files=dict(type="int", default=20),
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_backup_action(module, rs)


if __name__ == "__main__":
    main()
