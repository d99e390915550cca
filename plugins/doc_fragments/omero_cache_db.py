# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PostgreSQL connection options shared by the omero_cache_* modules."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_user:
    description:
      - PostgreSQL role to connect as.
    type: str
    default: postgres
  login_password:
    description:
      - Password of O(login_user). Leave empty for peer or trust authentication over the unix socket.
    type: str
  login_host:
    description:
      - Host to connect to. Empty means the unix socket in O(login_unix_socket) (or libpq's default).
    type: str
  login_unix_socket:
    description:
      - Directory of the PostgreSQL unix socket (an absolute path), used when O(login_host) is empty.
    type: str
  login_port:
    description:
      - Port of the PostgreSQL server, 1 to 65535.
    type: int
    default: 5432
  session_role:
    description:
      - Role to C(SET ROLE) to after connecting, so that objects created belong to it (for example
        connect as C(postgres) over the socket and act as the owner of the operations database).
    type: str
  connect_timeout:
    description:
      - Seconds to wait for the connection; greater than 0 (libpq reads 0 as no limit).
    type: int
    default: 10
requirements:
  - psycopg2 (C(python3-psycopg2) on Debian) on the managed host.
"""

    # login_db of the modules that work on the queue (the default of db_argument_spec()).
    OPERATIONS_DB = r"""
options:
  login_db:
    description:
      - The operations database holding the queue.
    type: str
    default: omero_ops
"""
