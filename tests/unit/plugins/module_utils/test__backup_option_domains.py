# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup options outside their domain are refused before any work, naming the option.

The same make_options serves the omero_backup modules and the omero-backup command.
"""

from __future__ import annotations

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_restic as rs
from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError

PG_GOOD = {"action": "list", "backup_dir": "/var/backups/omero"}
RESTIC_GOOD = {"action": "snapshots", "repository": "/srv/restic", "password_file": "/etc/omero-backup/restic-password"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"login_port": 0}, "login_port must be a TCP port number from 1 to 65535, got 0"),
        ({"login_port": 70000}, "login_port must be a TCP port number from 1 to 65535, got 70000"),
        ({"backup_dir": "backups"}, "backup_dir must be an absolute path"),
        ({"passfile": "pgpass"}, "passfile must be an absolute path"),
        ({"pg_bin_dir": "usr/lib/postgresql/15/bin"}, "pg_bin_dir must be an absolute path"),
        ({"status_file": "status.json"}, "status_file must be an absolute path"),
        ({"lock_timeout": 0}, "lock_timeout must be a number of seconds greater than 0, got 0"),
        ({"lock_timeout": -5}, "lock_timeout must be a number of seconds greater than 0, got -5"),
    ],
)
def test_database_backup_options_outside_their_domain(change, message):
    with pytest.raises(BackupError, match=message):
        pg.make_options(dict(PG_GOOD, **change))


def test_database_backup_options_inside_their_domain():
    opts = pg.make_options(dict(PG_GOOD, login_port=5433, passfile="/etc/omero-backup/pgpass", lock_timeout=1))
    assert opts.login_port == 5433


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password_file": "restic-password"}, "password_file must be an absolute path"),
        ({"status_file": "status.json"}, "status_file must be an absolute path"),
        ({"cache_dir": "cache"}, "cache_dir must be an absolute path"),
        ({"restic_bin": "restic"}, "restic_bin must be an absolute path"),
        ({"target": "restore-here"}, "target must be an absolute path"),
        ({"paths": ["/OMERO", "ManagedRepository"]}, "paths must list absolute paths"),
        ({"config_paths": ["etc/omero"]}, "config_paths must list absolute paths"),
        ({"check_read_data_subset": "a lot"}, "check_read_data_subset must be n/t"),
        ({"check_read_data_subset": "0/7"}, "check_read_data_subset must be n/t"),
    ],
)
def test_data_backup_options_outside_their_domain(change, message):
    with pytest.raises(BackupError, match=message):
        rs.make_options(dict(RESTIC_GOOD, **change))


@pytest.mark.parametrize("subset", ["1/7", "5%", "2.5%", "2G", "", None])
def test_read_data_subset_forms_restic_takes(subset):
    assert rs.make_options(dict(RESTIC_GOOD, check_read_data_subset=subset)).check_read_data_subset == subset
