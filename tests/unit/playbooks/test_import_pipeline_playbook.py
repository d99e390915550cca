# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml's import pipeline play: which environment imports, refused before any host changes.

The wiring check runs for real on localhost (``--limit localhost``: no other host is contacted).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from ansible_collections.bioimage.omero.tests.unit.collection_paths import COLLECTIONS_PATH

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def inventory(tmp_path, environments, **all_vars):
    children = {"buffer": {"hosts": {"buf1": None}}, "ungrouped": {"hosts": {"localhost": None}}}
    for env in environments:
        children[env] = {"children": {f"{env}_omero_readwrite": {"hosts": {f"{env}-rw": None}}}}
    data = {"all": {"vars": dict(platform_environments=environments, **all_vars), "children": children}}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def check(inventory_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_LOCALHOST_WARNING="false")
    argv = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        inventory_path,
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "--limit",
        "localhost",
        "playbooks/import_pipeline.yml",
    ]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("environments", "extra", "ok"),
    [
        (["prod"], {}, True),
        (["prod", "newprod"], {"platform_import_environment": "newprod"}, True),
        (["prod", "newprod"], {}, False),
        (["prod"], {"platform_import_environment": "staging"}, False),
    ],
)
def test_the_pipeline_belongs_to_one_environment(tmp_path, environments, extra, ok):
    rc, out = check(inventory(tmp_path, environments, **extra))
    if ok:
        assert rc == 0, out
    else:
        assert rc != 0 and "set platform_import_environment" in out, out


def test_site_yml_imports_the_pipeline():
    with open(os.path.join(ROOT, "playbooks", "site.yml"), encoding="utf-8") as fh:
        plays = yaml.safe_load(fh)
    assert {"name": "Import pipeline", "ansible.builtin.import_playbook": "import_pipeline.yml"} in plays
