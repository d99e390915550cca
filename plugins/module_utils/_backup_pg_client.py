# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the backup code reaches PostgreSQL: psycopg2 connections and the client programs.

The PostgreSQL client programs run as argv lists with every secret in the environment
(``PGPASSWORD``/``PGPASSFILE``), never on a command line. Also run outside Ansible (by the
backup role's systemd services), so no ``module.run_command``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import traceback
from typing import Any, Dict, Iterator, List, Optional

from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError

# sql is re-exported for the catalogue and swap code (one guarded psycopg2 import).
__all__ = ["PSYCOPG2_IMPORT_ERROR", "client_env", "connect", "cursor", "popen", "program", "psycopg2", "run", "sql"]

PSYCOPG2_IMPORT_ERROR: Optional[str]
try:
    import psycopg2
    from psycopg2 import sql

    PSYCOPG2_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the host
    psycopg2 = None
    sql = None
    PSYCOPG2_IMPORT_ERROR = traceback.format_exc()


def client_env(opts: Options) -> Dict[str, str]:
    """Environment for pg_dump/pg_restore: connection settings and secrets, never argv."""
    env = dict(os.environ)
    for key in ("PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGPASSFILE", "PGDATABASE"):
        env.pop(key, None)
    if opts.login_host:
        env["PGHOST"] = str(opts.login_host)
    if opts.login_port:
        env["PGPORT"] = str(opts.login_port)
    if opts.login_user:
        env["PGUSER"] = str(opts.login_user)
    if opts.login_password:
        env["PGPASSWORD"] = str(opts.login_password)
    if opts.passfile:
        env["PGPASSFILE"] = str(opts.passfile)
    env.setdefault("LANG", "C.UTF-8")
    return env


def program(opts: Options, name: str) -> str:
    if opts.pg_bin_dir:
        return os.path.join(opts.pg_bin_dir, name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found in PATH (install the PostgreSQL client or set pg_bin_dir)")
    return found


def run(argv: List[str], env: Dict[str, str], what: str) -> str:
    proc = subprocess.run(argv, env=env, capture_output=True, check=False)  # pylint: disable=ansible-bad-function
    if proc.returncode != 0:
        raise BackupError(f"{what} failed (exit {proc.returncode}): {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")


def popen(argv: List[str], env: Dict[str, str]) -> subprocess.Popen:
    """Start a client program in the background (stdout discarded, stderr kept for the error)."""
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # pylint: disable=ansible-bad-function


def connect(opts: Options, dbname: str) -> Any:
    if psycopg2 is None:
        raise BackupError("psycopg2 is required (Debian: python3-psycopg2)")
    params: Dict[str, Any] = {"dbname": dbname, "application_name": "omero_backup"}
    if opts.login_host:
        params["host"] = opts.login_host
    if opts.login_port:
        params["port"] = int(opts.login_port)
    if opts.login_user:
        params["user"] = opts.login_user
    if opts.login_password:
        params["password"] = opts.login_password
    if opts.passfile:
        params["passfile"] = opts.passfile
    try:
        return psycopg2.connect(**params)
    except psycopg2.Error as exc:
        raise BackupError(f"cannot connect to database {dbname}: {str(exc).strip()}") from None


@contextlib.contextmanager
def cursor(opts: Options, dbname: str, autocommit: bool = False) -> Iterator[Any]:
    """A cursor on ``dbname``; the connection is closed afterwards, database errors become BackupError."""
    conn = connect(opts, dbname)
    try:
        conn.autocommit = autocommit
        yield conn.cursor()
        if not autocommit:
            conn.commit()
    except psycopg2.Error as exc:
        raise BackupError(f"database error on {dbname}: {str(exc).strip()}") from None
    finally:
        conn.close()
