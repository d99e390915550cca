# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A throwaway PostgreSQL cluster for the cache regeneration tests.

Real server binaries (Debian's postgresql package) in a temporary directory,
listening on a unix socket only. Imported by the other test__cache_* files.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the test venv")


def _pg_bindir():
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


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
def pg_server():
    """Start a cluster; yields a dict of libpq keywords for the 'postgres' superuser-equivalent role."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "SKIPPED: cache queue DB tests because the PostgreSQL server binaries are missing"
            " (apt-get install postgresql)"
        )
    prefix, account = _as_user_prefix()
    tmp = tempfile.mkdtemp(prefix="cache-regen-pg-")
    os.chmod(tmp, 0o755)  # noqa: S103 - the server runs as another user
    data = os.path.join(tmp, "data")
    sock = os.path.join(tmp, "sock")
    os.mkdir(sock)
    if account is not None:
        os.chown(tmp, account.pw_uid, account.pw_gid)
        os.chown(sock, account.pw_uid, account.pw_gid)
    user = account.pw_name if account is not None else pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(
        [*prefix, os.path.join(bindir, "initdb"), "-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
    )
    opts = f"-c listen_addresses='' -c unix_socket_directories={sock} -c port=5432 -c fsync=off"
    subprocess.run(
        [
            *prefix,
            os.path.join(bindir, "pg_ctl"),
            "-D",
            data,
            "-o",
            opts,
            "-w",
            "-l",
            os.path.join(tmp, "log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield {"host": sock, "port": 5432, "user": user, "dbname": "postgres"}
    finally:
        subprocess.run(
            [*prefix, os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)


_counter = [0]


@pytest.fixture
def fresh_db(pg_server):
    """A new, empty database per test; yields its libpq keywords."""
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
