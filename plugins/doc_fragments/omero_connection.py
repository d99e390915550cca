# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options of plugins/module_utils/_omero_connection.py omero_connection_argument_spec()
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host name of the OMERO.server to administer, or a URL such as C(wss://omero.example.org/omero-ws)
        for OMERO's WebSocket endpoint.
      - Falls back to the E(OMERO_HOST) environment variable.
    type: str
    default: localhost
  login_port:
    description:
      - The server's Glacier2 port, 1 to 65535. 4064 is OMERO's TLS port, 4063 its plain TCP port.
      - Not used when O(login_host) is a URL (the URL's port, or its protocol's default, is used).
      - Falls back to the E(OMERO_PORT) environment variable.
    type: int
    default: 4064
  login_user:
    description:
      - The OMERO user the module logs in as. It needs the administrator privileges the task uses
        (for example C(ModifyUser), C(ModifyGroup), C(ModifyGroupMembership)).
      - Falls back to the E(OMERO_USER) environment variable.
    type: str
    default: root
  login_password:
    description:
      - Password of O(login_user). Never logged; prefer the E(OMERO_PASSWORD) environment variable or a vaulted
        variable.
      - One of O(login_password) and O(login_session_key) is required.
    type: str
  login_session_key:
    description:
      - Key (UUID) of an existing OMERO session to join instead of logging in with a password.
      - Falls back to the E(OMERO_SESSION_KEY) environment variable.
    type: str
  login_group:
    description:
      - The OMERO group to log in to. Defaults to the default group of O(login_user).
    type: str
  login_secure:
    description:
      - Keep every call on the encrypted (TLS) connection. When V(false), the module logs in over TLS and then
        switches to the server's unencrypted router, as C(BlitzGateway.setSecure(False)) does.
    type: bool
    default: true
  login_timeout:
    description:
      - Seconds to wait when connecting before reporting the server unreachable; greater than 0.
    type: int
    default: 10
notes:
  - The module runs where omero-py is installed, usually the OMERO.server host with
    C(ansible_python_interpreter) set to the server's virtual environment (for example
    C(/opt/omero/server/venv3/bin/python)).
requirements:
  - omero-py (and the zeroc-ice it needs)
"""
