# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/maintenance.yml, the proxy role and omero_maintenance agree on one default.

The playbook runs for real against localhost in check mode (the module reads the flag and page,
writes nothing) and its diff headers say which files it would write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible_collections.bioimage.omero.plugins.module_utils import _maintenance
from ansible_collections.bioimage.omero.tests.unit.collection_paths import COLLECTIONS_PATH

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def proxy_defaults():
    with open(os.path.join(ROOT, "roles", "proxy", "defaults", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def run_playbook(*extra):
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_LOCALHOST_WARNING="false",
    )
    argv = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        "maintenance_hosts=localhost",
        "-e",
        "maintenance_state=on",
        "--check",
        "--diff",
        *extra,
        "playbooks/maintenance.yml",
    ]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    # ansible.cfg's profile_tasks callback writes timing lines around the JSON document.
    output, _end = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{\n") :])
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "Set the maintenance flag":
                return proc.returncode, task["hosts"]["localhost"]
    pytest.fail(f"the maintenance task did not run: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")


def test_the_module_defaults_are_the_proxy_roles():
    defaults = proxy_defaults()
    assert defaults["proxy_maintenance_flag"] == _maintenance.DEFAULT_FLAG
    assert defaults["proxy_maintenance_dir"] == _maintenance.DEFAULT_DIR
    assert defaults["proxy_maintenance_retry_after"] == _maintenance.DEFAULT_RETRY_AFTER
    assert defaults["proxy_maintenance_title"] == _maintenance.DEFAULT_TITLE


def test_the_playbook_writes_where_the_proxy_role_reads():
    defaults = proxy_defaults()
    rc, result = run_playbook()
    assert rc == 0, result
    assert result["flag"] == defaults["proxy_maintenance_flag"]
    assert [d["after_header"] for d in result["diff"]] == [
        defaults["proxy_maintenance_flag"],
        defaults["proxy_maintenance_dir"] + "/maintenance.html",
    ]
    assert json.loads(result["diff"][0]["after"])["retry_after"] == defaults["proxy_maintenance_retry_after"]


def test_the_inventory_values_win(tmp_path):
    rc, result = run_playbook(
        "-e", f"proxy_maintenance_flag={tmp_path}/m.flag", "-e", f"proxy_maintenance_dir={tmp_path}/www"
    )
    assert rc == 0, result
    assert [d["after_header"] for d in result["diff"]] == [f"{tmp_path}/m.flag", f"{tmp_path}/www/maintenance.html"]


def test_a_relative_flag_is_refused_before_anything_is_written():
    rc, result = run_playbook("-e", "proxy_maintenance_flag=omero-maintenance.flag")
    assert rc != 0
    assert result["msg"] == (
        "flag must be an absolute path on the managed host (starting with /), got 'omero-maintenance.flag'"
    )
