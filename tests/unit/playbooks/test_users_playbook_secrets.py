# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/users.yml at -vvv shows why a task failed and never a password.

The omero_users role's loops carry no blanket no_log: the modules mask their password options and
no loop item holds a password. The playbook runs for real against localhost with a Python that
has no omero-py, so every OMERO task fails (as it would on a host whose venv is broken) and its
message, item by item, must be visible while none of the passwords is. SKIPPED: the OMERO.server
itself cannot run here; the same role against a live server is tests/integration/test_omero_users_live.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from ansible_collections.bioimage.omero.tests.unit.collection_paths import COLLECTIONS_PATH

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROOT_PASSWORD = "r00t-vvv-Secret-7f3a"
USER_PASSWORD = "Us3r-vvv-Secret-91c2"
PUBLIC_PASSWORD = "Publ1c-vvv-Secret-5d80"
SECRETS = (ROOT_PASSWORD, USER_PASSWORD, PUBLIC_PASSWORD)


def run_users_playbook(tmp_path, extra_vars):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        f"[omero_readwrite]\nlocalhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    variables = tmp_path / "vars.yml"
    base = {"omero_users_login_password": ROOT_PASSWORD, "omero_users_python": sys.executable}
    variables.write_text(yaml.safe_dump(dict(base, **extra_vars)))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_LOCALHOST_WARNING="false",
    )
    argv = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-vvv",
        "-i",
        str(inventory),
        "-e",
        f"@{variables}",
        "playbooks/users.yml",
    ]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(autouse=True)
def no_omero_py():
    try:
        import omero  # noqa: F401
    except ImportError:
        return
    pytest.skip("SKIPPED: omero-py is importable here; this test needs the module to fail on a host without it")


def test_user_tasks_fail_visibly_without_showing_a_password(tmp_path):
    users = [
        {
            "name": "asmith",
            "first_name": "Alex",
            "last_name": "Smith",
            "password": USER_PASSWORD,
            "groups": ["smith-lab"],
            "owner_of": ["smith-lab"],
            "privilege_preset": "group_admin",
        },
        {"name": "jdoe", "first_name": "Jane", "last_name": "Doe", "password": USER_PASSWORD, "groups": ["smith-lab"]},
    ]
    rc, output = run_users_playbook(tmp_path, {"omero_users_users": users})
    assert rc != 0
    assert "TASK [bioimage.omero.omero_users : Users]" in output
    # Every item's failure, with its message, is in the output (no "censored" result).
    for name in ("asmith", "jdoe"):
        assert f"(item={name})" in output
    users_task = output[output.index("TASK [bioimage.omero.omero_users : Users]") :]
    assert "omero-py" in users_task
    assert "the output has been hidden" not in users_task
    for secret in SECRETS:
        assert secret not in output


def test_group_tasks_fail_visibly_without_showing_a_password(tmp_path):
    rc, output = run_users_playbook(
        tmp_path,
        {
            "omero_users_groups": [{"name": "smith-lab", "permissions": "read-annotate"}],
            "omero_users_public_user": "public",
            "omero_users_public_password": PUBLIC_PASSWORD,
        },
    )
    assert rc != 0
    assert "TASK [bioimage.omero.omero_users : Groups exist with their permission level and description]" in output
    assert "(item=smith-lab)" in output
    assert "omero-py" in output
    for secret in SECRETS:
        assert secret not in output
