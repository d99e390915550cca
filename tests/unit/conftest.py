# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A throwaway PostgreSQL cluster for the unit tests that need a real server.

Real server binaries (Debian's postgresql package) in a temporary directory,
listening on a unix socket only; one cluster per test session.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest


@pytest.fixture(scope="session")
def pg_bindir():
    """The directory of initdb and pg_ctl (the newest installed PostgreSQL)."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    found = shutil.which("initdb")
    if found is None:
        pytest.skip("SKIPPED: the PostgreSQL tests need the server binaries (apt-get install postgresql)")
    return os.path.dirname(found)


def _as_user_prefix():
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            return ["runuser", "-u", name, "--"], pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("SKIPPED: running as root and neither a postgres nor a nobody user exists to run the server")
    return None  # unreachable


@pytest.fixture(scope="session")
def pg_server(pg_bindir):
    """Start a cluster; yields a dict of libpq keywords for its superuser, on database postgres."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the test venv")
    prefix, account = _as_user_prefix()
    tmp = tempfile.mkdtemp(prefix="omero-test-pg-")
    os.chmod(tmp, 0o755)  # noqa: S103 - the server runs as another user
    data = os.path.join(tmp, "data")
    sock = os.path.join(tmp, "sock")
    os.mkdir(sock)
    if account is not None:
        os.chown(tmp, account.pw_uid, account.pw_gid)
        os.chown(sock, account.pw_uid, account.pw_gid)
    user = account.pw_name if account is not None else pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(
        [*prefix, os.path.join(pg_bindir, "initdb"), "-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
    )
    opts = f"-c listen_addresses='' -c unix_socket_directories={sock} -c port=5432 -c fsync=off"
    pg_ctl = os.path.join(pg_bindir, "pg_ctl")
    subprocess.run(
        [*prefix, pg_ctl, "-D", data, "-o", opts, "-w", "-l", os.path.join(tmp, "log"), "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield {"host": sock, "port": 5432, "user": user, "dbname": "postgres"}
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


_counter = [0]


@pytest.fixture
def fresh_db(pg_server):
    """A new, empty database per test; yields its libpq keywords."""
    import psycopg2  # pg_server has skipped the test when it is missing

    _counter[0] += 1
    name = f"t{os.getpid()}_{_counter[0]}"
    admin = psycopg2.connect(**pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    params = dict(pg_server, dbname=name)
    try:
        yield params
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
