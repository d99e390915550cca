# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The omero_cache_regen role's checks, run by Ansible: each broken rule names its own variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from ansible_collections.bioimage.omero.tests.unit.collection_paths import COLLECTIONS_PATH

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLAY = [
    {
        "name": "Check the cache regeneration settings",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Run the role's checks",
                "ansible.builtin.include_role": {"name": "bioimage.omero.omero_cache_regen", "tasks_from": "assert"},
            }
        ],
    }
]
GOOD = {"omero_cache_regen_db_password": "regen-test-only", "omero_cache_regen_db_host": "db1"}


def run_checks(tmp_path, **bad):
    playbook = tmp_path / "check.yml"
    playbook.write_text(yaml.safe_dump(PLAY))
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump(dict(GOOD, **bad)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH)
    argv = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"@{variables}",
        str(playbook),
    ]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_good_settings_pass(tmp_path):
    rc, output = run_checks(tmp_path)
    assert rc == 0, output[-3000:]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"omero_cache_regen_db_port": 70000},
            "omero_cache_regen_db_port must be a TCP port from 1 to 65535, got 70000",
        ),
        ({"omero_cache_regen_db_port": 0}, "omero_cache_regen_db_port must be a TCP port from 1 to 65535, got 0"),
        ({"omero_cache_regen_slots": 0}, "omero_cache_regen_slots must be at least 1, got 0"),
        ({"omero_cache_regen_poll_seconds": -1}, "omero_cache_regen_poll_seconds must be greater than 0"),
        ({"omero_cache_regen_config_dir": "etc/regen"}, "omero_cache_regen_config_dir must be an absolute path"),
    ],
)
def test_each_broken_rule_names_its_variable_and_only_it(tmp_path, bad, message):
    rc, output = run_checks(tmp_path, **bad)
    assert rc != 0
    assert message in output
    # Only the broken rule fails: the others pass and are not mentioned as failures.
    failed = [line for line in output.splitlines() if line.startswith("failed: [localhost]")]
    assert len(failed) == 1, failed
    assert failed[0].split("(item=")[1].startswith(next(iter(bad)))
