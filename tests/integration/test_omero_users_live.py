# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/users.yml against a real OMERO.server: create, re-run (no change), update, log in.

Needs a running OMERO.server, named by the environment:

  BIOIMAGE_OMERO_TEST_SERVER         host:port of the server (port defaults to 4064)
  BIOIMAGE_OMERO_TEST_ROOT_PASSWORD  password of its root user
  BIOIMAGE_OMERO_TEST_PYTHON         a Python with omero-py (default: the one running pytest);
                                     the modules run with it, and so does the independent check

Run: python -m pytest -rs tests/integration/test_omero_users_live.py
Without a server the run shows one line: SKIPPED ... no OMERO.server available ...

The test checks the server with its own omero-py script (tests read the world
independently of the code under test), and removes what it created at the end.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap

import pytest
from ansible_collections.bioimage.omero.tests.integration.run_playbook import REPO, run_playbook

SERVER = os.environ.get("BIOIMAGE_OMERO_TEST_SERVER", "")
if not SERVER:
    pytest.skip(
        "no OMERO.server available (set BIOIMAGE_OMERO_TEST_SERVER=host:port and BIOIMAGE_OMERO_TEST_ROOT_PASSWORD"
        " to run playbooks/users.yml against one)",
        allow_module_level=True,
    )

HOST, _SEP, _PORT = SERVER.partition(":")
PORT = int(_PORT or 4064)
ROOT_PASSWORD = os.environ.get("BIOIMAGE_OMERO_TEST_ROOT_PASSWORD", "")
PYTHON = os.environ.get("BIOIMAGE_OMERO_TEST_PYTHON", sys.executable)
RUN = "it" + secrets.token_hex(3)
PASSWORDS = {"admin": secrets.token_urlsafe(16), "user": secrets.token_urlsafe(16), "public": secrets.token_urlsafe(16)}

# Reads the server with omero-py and prints JSON; the test's independent view of the world.
PROBE = textwrap.dedent(
    """
    import json, sys
    import omero, omero.clients, Glacier2
    from omero.rtypes import unwrap
    from omero_model_ExperimenterI import ExperimenterI
    req = json.loads(sys.stdin.read())
    out = {"users": {}, "groups": {}, "logins": {}}
    c = omero.client(host=req["host"], port=req["port"])
    c.createSession("root", req["root_password"])
    try:
        admin = c.getSession().getAdminService()
        for name in req["groups"]:
            try:
                g = admin.lookupGroup(name)
            except omero.ApiUsageException:
                out["groups"][name] = None
                continue
            links = [m for m in g.copyGroupExperimenterMap() if m is not None]
            out["groups"][name] = {
                "permissions": str(g.details.permissions),
                "description": unwrap(g.description),
                "members": sorted(unwrap(m.child.omeName) for m in links),
                "owners": sorted(unwrap(m.child.omeName) for m in links if unwrap(m.owner)),
            }
        for name in req["users"]:
            try:
                e = admin.lookupExperimenter(name)
            except omero.ApiUsageException:
                out["users"][name] = None
                continue
            privs = admin.getAdminPrivileges(ExperimenterI(e.id.val, False))
            out["users"][name] = {
                "email": unwrap(e.email),
                "groups": [unwrap(m.parent.name) for m in e.copyGroupExperimenterMap() if m is not None],
                "default_group": unwrap(admin.getDefaultGroup(e.id.val).name),
                "privileges": sorted(unwrap(p.getValue()) for p in privs),
            }
        if req.get("cleanup"):
            for name in req["users"]:
                try:
                    admin.deleteExperimenter(ExperimenterI(admin.lookupExperimenter(name).id.val, False))
                except Exception as exc:
                    out.setdefault("cleanup_errors", []).append("%s: %s" % (name, type(exc).__name__))
            for name in req["groups"]:
                try:
                    admin.deleteGroup(admin.lookupGroup(name))
                except Exception as exc:
                    out.setdefault("cleanup_errors", []).append("%s: %s" % (name, type(exc).__name__))
    finally:
        c.closeSession()
    for name, password in req["logins"].items():
        u = omero.client(host=req["host"], port=req["port"])
        try:
            u.createSession(name, password)
            out["logins"][name] = unwrap(u.getSession().getAdminService().getEventContext().userName)
        except Glacier2.PermissionDeniedException:
            out["logins"][name] = False
        finally:
            u.closeSession()
    print(json.dumps(out))
    """
)


def probe(logins=None, cleanup=False):
    req = {
        "host": HOST,
        "port": PORT,
        "root_password": ROOT_PASSWORD,
        "groups": [f"{RUN}-lab", f"{RUN}-public"],
        "users": [f"{RUN}-admin", f"{RUN}-user", f"{RUN}-public"],
        "logins": logins or {},
        "cleanup": cleanup,
    }
    proc = subprocess.run(
        [PYTHON, "-c", PROBE], input=json.dumps(req), capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"the omero-py probe failed: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def inventory(tmp_path, **changes):
    lab = {"name": f"{RUN}-lab", "permissions": "read-annotate", "description": "integration test lab"}
    lab.update(changes.pop("lab", {}))
    user = {
        "name": f"{RUN}-user",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.org",
        "password": PASSWORDS["user"],
        "groups": [f"{RUN}-lab"],
    }
    user.update(changes.pop("user", {}))
    vars_ = {
        "omero_users_login_host": HOST,
        "omero_users_login_port": PORT,
        "omero_users_login_password": ROOT_PASSWORD,
        "omero_users_python": PYTHON,
        "omero_users_groups": [dict(lab, owners=[f"{RUN}-admin"], members=[f"{RUN}-user"])],
        "omero_users_users": [
            {
                "name": f"{RUN}-admin",
                "first_name": "Alex",
                "last_name": "Admin",
                "password": PASSWORDS["admin"],
                "groups": [f"{RUN}-lab"],
                "owner_of": [f"{RUN}-lab"],
                "privilege_preset": "group_admin",
            },
            user,
        ],
        "omero_users_public_user": f"{RUN}-public",
        "omero_users_public_password": PASSWORDS["public"],
        "omero_users_public_groups": [f"{RUN}-public"],
    }
    (tmp_path / "vars.json").write_text(json.dumps(vars_))
    host = {"ansible_connection": "local", "ansible_python_interpreter": PYTHON}
    hosts = {"all": {"children": {"omero_readwrite": {"hosts": {"omero-live": host}}}}}
    (tmp_path / "hosts.yml").write_text(json.dumps(hosts))


def playbook(tmp_path, *extra, expect_success=True):
    returncode, output = run_playbook(
        "-i",
        str(tmp_path / "hosts.yml"),
        os.path.join(REPO, "playbooks", "users.yml"),
        "-e",
        "@" + str(tmp_path / "vars.json"),
        *extra,
        timeout=900,
    )
    for secret in [ROOT_PASSWORD, *PASSWORDS.values()]:
        assert secret not in output, "a password appeared in the playbook output"
    if not expect_success:
        assert returncode != 0, output[-4000:]
        return None, output
    assert returncode == 0, output[-4000:]
    recap = re.search(r"omero-live\s*:\s*ok=\d+\s+changed=(\d+)", output)
    assert recap, output[-2000:]
    return int(recap.group(1)), output


@pytest.fixture(scope="module")
def cleanup():
    yield
    probe(cleanup=True)


def test_users_playbook_live(tmp_path, cleanup):
    assert ROOT_PASSWORD, "set BIOIMAGE_OMERO_TEST_ROOT_PASSWORD with BIOIMAGE_OMERO_TEST_SERVER"
    admin, user, public = f"{RUN}-admin", f"{RUN}-user", f"{RUN}-public"

    # create
    inventory(tmp_path)
    changed = playbook(tmp_path)[0]
    assert changed > 0
    world = probe(logins={user: PASSWORDS["user"], admin: PASSWORDS["admin"], public: PASSWORDS["public"]})
    assert world["groups"][f"{RUN}-lab"]["permissions"] == "rwra--"
    assert world["groups"][f"{RUN}-lab"]["owners"] == [admin]
    assert world["groups"][f"{RUN}-lab"]["members"] == sorted([admin, user])
    assert world["groups"][f"{RUN}-public"]["permissions"] == "rwr---"
    # group_admin: the group's owner, no administrator privilege (OMERO's privileges are server-wide).
    assert world["users"][admin]["privileges"] == []
    assert "system" not in world["users"][admin]["groups"]
    assert world["users"][user]["privileges"] == []
    assert world["users"][user]["default_group"] == f"{RUN}-lab"
    assert world["users"][public]["default_group"] == f"{RUN}-public"
    # log in as the new users
    assert world["logins"] == {user: user, admin: admin, public: public}

    # re-run: no change
    changed = playbook(tmp_path)[0]
    assert changed == 0

    # check mode reports the update and changes nothing
    inventory(tmp_path, lab={"permissions": "read-write"}, user={"email": "jane.doe@example.org"})
    changed, output = playbook(tmp_path, "--check")
    assert changed > 0
    assert "Chmod2" in output
    world = probe()
    assert world["groups"][f"{RUN}-lab"]["permissions"] == "rwra--"
    assert world["users"][user]["email"] == "jane@example.org"

    # update
    changed = playbook(tmp_path)[0]
    assert changed > 0
    world = probe(logins={user: PASSWORDS["user"]})
    assert world["groups"][f"{RUN}-lab"]["permissions"] == "rwrw--"
    assert world["users"][user]["email"] == "jane.doe@example.org"
    assert world["logins"][user] == user
    changed = playbook(tmp_path)[0]
    assert changed == 0

    # a downgrade is refused without allow_downgrade, and nothing changes
    inventory(tmp_path, lab={"permissions": "read-only"}, user={"email": "jane.doe@example.org"})
    output = playbook(tmp_path, expect_success=False)[1]
    assert "is a downgrade" in output
    assert probe()["groups"][f"{RUN}-lab"]["permissions"] == "rwrw--"

    # deactivate: the user can no longer log in
    inventory(tmp_path, lab={"permissions": "read-write"}, user={"email": "jane.doe@example.org", "active": False})
    changed = playbook(tmp_path)[0]
    assert changed > 0
    assert probe(logins={user: PASSWORDS["user"]})["logins"][user] is False
