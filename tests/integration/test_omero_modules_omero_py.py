# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules with the real omero-py, without a server: imports, model objects, unreachable server.

Needs a Python with omero-py (and its zeroc-ice): BIOIMAGE_OMERO_TEST_PYTHON, for example
the OMERO.server virtualenv's, or the test bed's wheelhouse installed into a venv. Only
loopback is contacted (a port just closed, so the connection is refused).

Run: BIOIMAGE_OMERO_TEST_PYTHON=/path/to/venv/bin/python python -m pytest -rs tests/integration
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import textwrap

import ansible
import pytest
from ansible_collections.bioimage.omero.tests.integration.run_playbook import REPO, run_playbook

PYTHON = os.environ.get("BIOIMAGE_OMERO_TEST_PYTHON", "")
COLLECTIONS = os.path.join(REPO, ".ansible", "collections")
PASSWORD = "n0t-a-real-r00t-pw"
ANSIBLE_SITE = os.path.dirname(os.path.dirname(ansible.__file__))


def _has_omero(python):
    if not python:
        return False
    proc = subprocess.run([python, "-c", "import omero.clients"], capture_output=True, timeout=120, check=False)
    return proc.returncode == 0


if not _has_omero(PYTHON):
    pytest.skip(
        "no Python with omero-py (set BIOIMAGE_OMERO_TEST_PYTHON to one, e.g. the OMERO.server venv's)",
        allow_module_level=True,
    )


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_python(code):
    # the collection, and (last, so the omero-py venv's own packages win) ansible.module_utils,
    # which Ansible would ship along with a module
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS, ANSIBLE_SITE]))
    proc = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_adapter_builds_omero_model_objects():
    out = run_python(
        """
        import json
        from ansible_collections.bioimage.omero.plugins.module_utils import _omero_connection as c
        from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_privileges import PRESETS
        exp = c.IAdminAdapter._new_experimenter(
            {"name": "jdoe", "first_name": "Jane", "last_name": "Doe", "email": None, "institution": "Inst"})
        privs = c.IAdminAdapter._privileges(PRESETS["group_admin_server_wide"])
        perms = c.PermissionsI("rwra--")
        chmod = c.omero.cmd.Chmod2(targetObjects={"ExperimenterGroup": [5]}, permissions="rwr---")
        print(json.dumps({
            "has_omero": c.HAS_OMERO,
            "omeName": exp.omeName.val, "firstName": exp.firstName.val, "email": exp.email,
            "institution": exp.institution.val, "ldap": exp.ldap.val,
            "privileges": sorted(p.getValue().val for p in privs),
            "perms": str(perms), "chmod": [chmod.permissions, dict(chmod.targetObjects)],
        }))
        """
    )
    assert out["has_omero"] is True
    assert (out["omeName"], out["firstName"], out["email"], out["institution"], out["ldap"]) == (
        "jdoe",
        "Jane",
        None,
        "Inst",
        False,
    )
    assert "ReadSession" not in out["privileges"]
    assert len(out["privileges"]) == 14
    assert out["perms"] == "rwra--"
    assert out["chmod"] == ["rwr---", {"ExperimenterGroup": [5]}]


def test_unreachable_server_is_named():
    port = closed_port()
    out = run_python(
        f"""
        import json
        from ansible_collections.bioimage.omero.plugins.module_utils import _omero_connection as c
        from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import OmeroConnectionError
        params = dict(login_host="127.0.0.1", login_port={port}, login_user="root", login_password="{PASSWORD}",
                      login_session_key=None, login_group=None, login_secure=True, login_timeout=5)
        try:
            c.OmeroSession(params).open()
            print(json.dumps({{"error": None}}))
        except OmeroConnectionError as exc:
            print(json.dumps({{"error": str(exc)}}))
        """
    )
    assert out["error"] == (
        f"cannot reach OMERO.server at 127.0.0.1:{port}: connection refused (is it running, and is this its port?)"
    )


def test_module_reports_unreachable_server(tmp_path):
    port = closed_port()
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "name": "omero_user against a closed port",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "A user",
                            "bioimage.omero.omero_user": {
                                "login_host": "127.0.0.1",
                                "login_port": port,
                                "login_password": PASSWORD,
                                "name": "jdoe",
                                "first_name": "Jane",
                                "last_name": "Doe",
                                "password": PASSWORD + "-user",
                                "groups": ["lab"],
                            },
                        }
                    ],
                }
            ]
        )
    )
    returncode, output = run_playbook(
        "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={PYTHON}", str(playbook), timeout=300
    )
    assert returncode != 0
    assert f"cannot reach OMERO.server at 127.0.0.1:{port}: connection refused" in output
    assert PASSWORD not in output
