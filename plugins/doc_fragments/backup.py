# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Option documentation shared by the backup modules."""

from __future__ import annotations


class ModuleDocFragment:
    # PostgreSQL connection used by pg_dump, pg_restore and psycopg2.
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host name or unix socket directory of the PostgreSQL server.
      - Empty means the local unix socket (peer authentication when the module runs as C(postgres)).
    type: str
  login_port:
    description:
      - PostgreSQL port.
    type: int
    default: 5432
  login_user:
    description:
      - PostgreSQL role to connect as. Empty means libpq's default (the operating system user).
      - Dumps need read access to every table; drills and restores need CREATEDB (a superuser keeps object owners).
    type: str
  login_password:
    description:
      - Password of O(login_user). Handed to the client programs as E(PGPASSWORD), never on a command line.
      - Prefer O(passfile) or peer authentication.
    type: str
  passfile:
    description:
      - A libpq password file (C(.pgpass) format, mode C(0600)), handed over as E(PGPASSFILE).
    type: path
  maintenance_db:
    description:
      - Database to connect to when creating and dropping databases (drill scratch database, restore target).
    type: str
    default: postgres
  pg_bin_dir:
    description:
      - Directory holding C(pg_dump) and C(pg_restore), for example C(/usr/lib/postgresql/15/bin).
      - Empty means the first ones in E(PATH) (Debian's wrappers pick the cluster's version).
    type: path
"""

    # Retention shared by the database dumps and the restic snapshots.
    RETENTION = r"""
options:
  keep_daily:
    description:
      - Keep the newest backup of each of this many most recent days that have a backup.
    type: int
    default: 7
  keep_weekly:
    description:
      - Keep the newest backup of each of this many most recent ISO weeks that have a backup.
    type: int
    default: 4
  keep_monthly:
    description:
      - Keep the newest backup of each of this many most recent calendar months that have a backup.
    type: int
    default: 6
"""

    # The monitoring status file.
    STATUS = r"""
options:
  status_file:
    description:
      - JSON file recording, per action, the outcome of the last run (C(ok), C(time), C(message)) and
        C(last_success). Written atomically, mode C(0644); read by monitoring.
      - Empty means no status file.
    type: path
"""
