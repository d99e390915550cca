# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The import worker's real OMERO path: a sudo session for the user, `omero import -f`, `omero import`.

Needs a running OMERO.server on THIS machine (in-place import only works on the server's host),
named by the environment:

  BIOIMAGE_OMERO_TEST_SERVER         host:port of the server (port defaults to 4064)
  BIOIMAGE_OMERO_TEST_ROOT_PASSWORD  password of its root user (the sudo admin)
  BIOIMAGE_OMERO_TEST_IMPORT_USER    an existing OMERO user to import as (default: root)
  BIOIMAGE_OMERO_TEST_OMERO          the omero executable (default: omero on PATH)
  BIOIMAGE_OMERO_TEST_PYTHON         a Python with omero-py (default: the one running pytest)
  BIOIMAGE_OMERO_TEST_STAGING        a directory on the file system of the server's ManagedRepository,
                                     writable by this process, readable by the server

Run: python -m pytest -rs tests/integration/test_import_live.py
Without a server the run shows one line: SKIPPED ... no OMERO.server available ...

The queue lives in a throwaway PostgreSQL (as in the unit tests); the worker imports a generated
fake image with --transfer=ln into a new dataset; an independent omero-py probe finds the image,
then deletes the dataset and the image.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import textwrap

import pytest

SERVER = os.environ.get("BIOIMAGE_OMERO_TEST_SERVER", "")
if not SERVER or not os.environ.get("BIOIMAGE_OMERO_TEST_STAGING"):
    pytest.skip(
        "no OMERO.server available (set BIOIMAGE_OMERO_TEST_SERVER=host:port, BIOIMAGE_OMERO_TEST_ROOT_PASSWORD and"
        " BIOIMAGE_OMERO_TEST_STAGING on the server's host to run the import worker against it)",
        allow_module_level=True,
    )

from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cq  # noqa: E402
from ansible_collections.bioimage.omero.plugins.module_utils import _import_queue as q  # noqa: E402
from ansible_collections.bioimage.omero.plugins.module_utils import _import_worker as w  # noqa: E402

# The throwaway PostgreSQL fixtures of the unit tests.
from ansible_collections.bioimage.omero.tests.unit.conftest import (  # noqa: E402, F401  # pylint: disable=unused-import
    fresh_db,
    pg_bindir,
    pg_server,
)

HOST, _SEP, _PORT = SERVER.partition(":")
PORT = int(_PORT or 4064)
ROOT_PASSWORD = os.environ.get("BIOIMAGE_OMERO_TEST_ROOT_PASSWORD", "")
USER = os.environ.get("BIOIMAGE_OMERO_TEST_IMPORT_USER", "root")
OMERO = os.environ.get("BIOIMAGE_OMERO_TEST_OMERO", shutil.which("omero") or "omero")
PYTHON = os.environ.get("BIOIMAGE_OMERO_TEST_PYTHON", sys.executable)
DATASET = "import-live-" + secrets.token_hex(3)

PROBE = textwrap.dedent(
    """
    import json, sys
    import omero, omero.clients
    from omero.rtypes import rstring, unwrap
    from omero.sys import ParametersI
    req = json.loads(sys.stdin.read())
    c = omero.client(host=req["host"], port=req["port"])
    c.createSession("root", req["password"])
    try:
        qs = c.getSession().getQueryService()
        p = ParametersI(); p.add("n", rstring(req["dataset"]))
        rows = qs.projection("select i.name, i.fileset.id from DatasetImageLink l join l.child i join l.parent d"
                             " where d.name = :n", p, {"omero.group": "-1"})
        print(json.dumps([unwrap(r) for r in rows]))
        if req["cleanup"]:
            ds = qs.findAllByQuery("select d from Dataset d where d.name = :n", p, {"omero.group": "-1"})
            for d in ds:
                cmd = omero.cmd.Delete2(targetObjects={"Dataset": [d.id.val]})
                c.submit(cmd)
    finally:
        c.closeSession()
    """
)


def run_probe(script, **req):
    """Run an omero-py probe as root (JSON in, the last stdout line as JSON out)."""
    req.update(host=HOST, port=PORT, password=ROOT_PASSWORD)
    proc = subprocess.run(
        [PYTHON, "-c", script], input=json.dumps(req), capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"the omero-py probe failed: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def probe(cleanup=False):
    return run_probe(PROBE, dataset=DATASET, cleanup=cleanup)


def worker_config(tmp_path):
    """The worker's configuration for the real omero CLI and a sudo session of root."""
    return {
        "state_dir": str(tmp_path),
        "omero": OMERO,
        "omero_host": HOST,
        "omero_port": PORT,
        "list_command": "{omero} import -f -- {path}",
        "import_command": "{omero} import -s {host} -p {port} -u {user} --transfer={transfer} -T {target} -- {path}",
        "sudo": {"enabled": True, "python": PYTHON, "admin_user": "root"},
    }


def test_worker_imports_as_the_user_once(fresh_db, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    staging = os.path.join(os.environ["BIOIMAGE_OMERO_TEST_STAGING"], DATASET)
    os.makedirs(staging)
    with open(os.path.join(staging, "live&sizeX=32&sizeY=32.fake"), "w"):
        pass
    conn = cq.connect(fresh_db)
    q.ensure_schema(conn)
    fields = q.validate_request(DATASET, f"lab/{USER}/live", USER, f"Dataset:name:{DATASET}")
    with conn, conn.cursor() as cur:
        q.submit(cur, fields)
    monkeypatch.setenv("OMERO_IMPORT_ADMIN_PASSWORD", ROOT_PASSWORD)
    config = worker_config(tmp_path)
    worker = w.Worker(config, "live")
    worker.conn = conn
    req = q.claim(conn, worker.worker, 600)
    q.set_state(conn, req, worker.worker, "importing")
    try:
        with open(tmp_path / "request.log", "w", encoding="utf-8") as log:
            worker.import_filesets(req, staging, log)
            worker.import_filesets(req, staging, log)  # again: recorded filesets are skipped
        images = probe()
        assert len(images) == 1, (tmp_path / "request.log").read_text()
        assert images[0][0].startswith("live")
    finally:
        probe(cleanup=True)
        conn.close()


PROJECT_PROBE = textwrap.dedent(
    """
    import json, sys
    import omero, omero.clients
    from omero.rtypes import rstring, unwrap
    from omero.sys import ParametersI
    req = json.loads(sys.stdin.read())
    c = omero.client(host=req["host"], port=req["port"])
    c.createSession("root", req["password"])
    try:
        qs = c.getSession().getQueryService()
        p = ParametersI(); p.add("n", rstring(req["project"]))
        rows = qs.projection("select d.id, d.name, count(i.id) from ProjectDatasetLink pl join pl.parent p"
                             " join pl.child d left outer join d.imageLinks il left outer join il.child i"
                             " where p.name = :n group by d.id, d.name", p, {"omero.group": "-1"})
        print(json.dumps([unwrap(r) for r in rows]))
        if req["cleanup"]:
            for pr in qs.findAllByQuery("select p from Project p where p.name = :n", p, {"omero.group": "-1"}):
                c.submit(omero.cmd.Delete2(targetObjects={"Project": [pr.id.val]}))
    finally:
        c.closeSession()
    """
)


def project_probe(project, cleanup=False):
    return run_probe(PROJECT_PROBE, project=project, cleanup=cleanup)


def test_project_target_finds_or_creates_its_dataset(fresh_db, tmp_path, monkeypatch):  # noqa: F811
    """Project:name:P twice: the project and the dataset "live" are created once, then reused."""
    project = "import-live-project-" + secrets.token_hex(3)
    conn = cq.connect(fresh_db)
    q.ensure_schema(conn)
    monkeypatch.setenv("OMERO_IMPORT_ADMIN_PASSWORD", ROOT_PASSWORD)
    config = worker_config(tmp_path)
    try:
        for n in (1, 2):
            staging = os.path.join(os.environ["BIOIMAGE_OMERO_TEST_STAGING"], f"{project}-{n}")
            os.makedirs(staging)
            with open(os.path.join(staging, f"img{n}&sizeX=16&sizeY=16.fake"), "w"):
                pass
            fields = q.validate_request(f"{project}-{n}", f"lab/{USER}/live", USER, f"Project:name:{project}")
            with conn, conn.cursor() as cur:
                q.submit(cur, fields)
            worker = w.Worker(config, f"live{n}")
            worker.conn = conn
            req = q.claim(conn, worker.worker, 600)
            q.set_state(conn, req, worker.worker, "importing")
            with open(tmp_path / "request.log", "a", encoding="utf-8") as log:
                worker.import_filesets(req, staging, log)
        datasets = project_probe(project)
        assert [(d[1], d[2]) for d in datasets] == [("live", 2)], (tmp_path / "request.log").read_text()
    finally:
        project_probe(project, cleanup=True)
        conn.close()


SCREEN_PROBE = textwrap.dedent(
    """
    import json, sys
    import omero, omero.clients
    from omero.rtypes import rstring, unwrap
    from omero.sys import ParametersI
    req = json.loads(sys.stdin.read())
    c = omero.client(host=req["host"], port=req["port"])
    c.createSession("root", req["password"])
    try:
        qs = c.getSession().getQueryService()
        p = ParametersI(); p.add("n", rstring(req["screen"]))
        rows = qs.projection("select pl.name from ScreenPlateLink l join l.parent s join l.child pl where s.name = :n",
                             p, {"omero.group": "-1"})
        print(json.dumps([unwrap(r) for r in rows]))
        if req["cleanup"]:
            for s in qs.findAllByQuery("select s from Screen s where s.name = :n", p, {"omero.group": "-1"}):
                c.submit(omero.cmd.Delete2(targetObjects={"Screen": [s.id.val]}))
    finally:
        c.closeSession()
    """
)


def test_screen_target_gets_the_plate(fresh_db, tmp_path, monkeypatch):  # noqa: F811
    """Screen:name:S: a fake plate is imported into the screen, once."""
    screen = "import-live-screen-" + secrets.token_hex(3)
    staging = os.path.join(os.environ["BIOIMAGE_OMERO_TEST_STAGING"], screen)
    os.makedirs(staging)
    with open(os.path.join(staging, "plate&plates=1&plateRows=1&plateCols=2&fields=1&sizeX=16&sizeY=16.fake"), "w"):
        pass
    conn = cq.connect(fresh_db)
    q.ensure_schema(conn)
    monkeypatch.setenv("OMERO_IMPORT_ADMIN_PASSWORD", ROOT_PASSWORD)
    with conn, conn.cursor() as cur:
        q.submit(cur, q.validate_request(screen, f"lab/{USER}/live", USER, f"Screen:name:{screen}"))
    worker = w.Worker(worker_config(tmp_path), "live-screen")
    worker.conn = conn
    req = q.claim(conn, worker.worker, 600)
    q.set_state(conn, req, worker.worker, "importing")
    try:
        with open(tmp_path / "request.log", "w", encoding="utf-8") as log:
            worker.import_filesets(req, staging, log)
            worker.import_filesets(req, staging, log)
        plates = run_probe(SCREEN_PROBE, screen=screen, cleanup=False)
        assert len(plates) == 1, (tmp_path / "request.log").read_text()
    finally:
        run_probe(SCREEN_PROBE, screen=screen, cleanup=True)
        conn.close()
