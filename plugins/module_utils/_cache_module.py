# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the omero_cache_* modules share: psycopg2, the database connection, the file they write.

Modules only; the workers on the OMERO nodes use _cache_schema and _cache_queue without Ansible.
"""

from __future__ import annotations

import os
import re
import tempfile
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.bioimage.omero.plugins.module_utils._cache_queue import QueueError
from ansible_collections.bioimage.omero.plugins.module_utils._cache_schema import connect
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import (
    ABSOLUTE_PATH,
    PORT,
    POSITIVE,
    fail_on_bad_options,
)

try:
    import psycopg2  # noqa: F401  # pylint: disable=unused-import  # presence check; _cache_queue connects

    PSYCOPG2_ERROR = None
except ImportError:
    PSYCOPG2_ERROR = traceback.format_exc()


# Domains of db_argument_spec()'s options (see _option_domains).
DB_OPTION_DOMAINS = {"login_port": PORT, "connect_timeout": POSITIVE, "login_unix_socket": ABSOLUTE_PATH}


def check_options(module, domains=None):
    """Fail naming the option when a connection option, or one of the module's ``domains``, is out of range."""
    fail_on_bad_options(module, dict(DB_OPTION_DOMAINS, **(domains or {})))


def require_psycopg2(module):
    if PSYCOPG2_ERROR is not None:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=PSYCOPG2_ERROR)


def connect_or_fail(module, what):
    """The connection the module options describe, or the module fails: cannot connect to WHAT LOGIN_DB."""
    try:
        return module_connect(module.params)
    except Exception as exc:
        module.fail_json(msg=f"cannot connect to {what} {module.params['login_db']}: {exc}")


def write_file_option(module, option, text, tmp_prefix):
    """Make the file the module option ``option`` names hold ``text``, with O(mode); returns changed.

    The file is replaced atomically, and only when its content differs; check mode writes nothing.
    """
    dest = module.params[option]
    changed = _write_if_different(module, option, dest, text, tmp_prefix)
    if not module.check_mode and os.path.exists(dest):
        file_args = module.load_file_common_arguments({"path": dest, "mode": module.params["mode"]})
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed


def _write_if_different(module, option, dest, text, tmp_prefix):
    try:
        with open(dest, encoding="utf-8") as fh:
            if fh.read() == text:
                return False
    except FileNotFoundError:
        pass
    if module.check_mode:
        return True
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        module.fail_json(msg=f"directory {directory} of {option} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=tmp_prefix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    module.atomic_move(tmp, dest)
    return True


def db_argument_spec():
    """Connection options of the omero_cache_* modules (doc fragment omero_cache_db; login_db is per module)."""
    return {
        "login_db": {"type": "str", "default": "omero_ops"},
        "login_user": {"type": "str", "default": "postgres"},
        "login_password": {"type": "str", "no_log": True},
        "login_host": {"type": "str"},
        "login_unix_socket": {"type": "str"},
        "login_port": {"type": "int", "default": 5432},
        "session_role": {"type": "str"},
        "connect_timeout": {"type": "int", "default": 10},
    }


SESSION_ROLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def libpq_params(params):
    """libpq keywords from the module options (password stays out of any DSN string)."""
    return {
        "dbname": params["login_db"],
        "user": params["login_user"],
        "password": params.get("login_password"),
        "host": params.get("login_host") or params.get("login_unix_socket"),
        "port": params.get("login_port"),
        "connect_timeout": params.get("connect_timeout"),
    }


def module_connect(params):
    """Connect as the module options say, then SET ROLE to session_role when given."""
    conn = connect(libpq_params(params))
    role = params.get("session_role")
    if role:
        if not SESSION_ROLE_RE.match(role):
            conn.close()
            raise QueueError(f"session_role {role!r} is not a plain role name")
        with conn, conn.cursor() as cur:
            cur.execute(f'SET ROLE "{role}"')
    return conn


def apply_in_transaction(module, conn, schema, work, result, what, known_errors):
    """One transaction on ``conn``: the schema (``schema.ensure_schema``/``SCHEMA_SQL``), then
    ``work(cur)``, which fills ``result`` and returns changed; rolled back in check mode. The module
    fails with ``known_errors``' message (or WHAT failed and a traceback), else exits with changed."""
    changed = False
    try:
        if not module.check_mode:
            schema.ensure_schema(conn)
        with conn.cursor() as cur:
            if module.check_mode:
                cur.execute(schema.SCHEMA_SQL)
            changed = work(cur)
        if module.check_mode:
            conn.rollback()
        else:
            conn.commit()
    except known_errors as exc:
        conn.rollback()
        module.fail_json(msg=str(exc), **result)
    except Exception as exc:
        conn.rollback()
        module.fail_json(msg=f"{what} failed: {exc}", exception=traceback.format_exc(), **result)
    finally:
        conn.close()
    module.exit_json(changed=changed, **result)
