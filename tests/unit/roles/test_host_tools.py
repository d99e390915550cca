# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host_tools role's launcher runs each role's command from a copy of module_utils alone.

The copy and the launcher are laid out as the role lays them out (its vars and template), then
every command the roles declare runs under a Python without site-packages: no Ansible, no
collection on the path, only the copied code (what a host has).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import comment
from ansible_collections.bioimage.omero.tests.unit.collection_paths import COLLECTIONS_PATH

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "host_tools")


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def declared_commands():
    """Every host_tools command the collection's roles install."""
    regen = _yaml("roles", "omero_cache_regen", "vars", "main.yml")["__omero_cache_regen_host_tools"]
    backup_tasks = _yaml("roles", "backup", "tasks", "command.yml")
    backup = [
        command
        for task in backup_tasks
        if task.get("ansible.builtin.include_role", {}).get("name") == "bioimage.omero.host_tools"
        for command in task["vars"]["host_tools_commands"]
    ]
    return regen + backup


def install(lib_dir, bin_dir, commands):
    """What roles/host_tools/tasks/main.yml does, with its own vars and template."""
    package = _yaml("roles", "host_tools", "vars", "main.yml")["__host_tools_package_dir"]
    package_dir = package.replace("{{ host_tools_lib_dir }}", lib_dir)
    os.makedirs(package_dir)
    for source in glob.glob(os.path.join(ROOT, "plugins", "module_utils", "_*.py")):
        shutil.copy(source, package_dir)
    # A Python launcher, not HTML: nothing to escape.
    loader = jinja2.FileSystemLoader(os.path.join(ROLE, "templates"))
    env = jinja2.Environment(loader=loader, keep_trailing_newline=True, autoescape=False)  # noqa: S701
    env.filters["comment"] = comment
    template = env.get_template("launcher.j2")
    paths = {}
    for command in commands:
        path = os.path.join(bin_dir, command["name"])
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                template.render(
                    ansible_managed="Ansible managed",
                    host_tools_lib_dir=lib_dir,
                    __host_tools_command=command,
                )
            )
        paths[command["name"]] = path
    return package_dir, paths


def run_bare(path, *args):
    # -S: no site-packages (no Ansible, no psycopg2), -I: no user site, no PYTHON* variables.
    return subprocess.run(
        [sys.executable, "-I", "-S", path, *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def installed(tmp_path):
    bin_dir = tmp_path / "sbin"
    bin_dir.mkdir()
    return install(str(tmp_path / "lib"), str(bin_dir), declared_commands())


def test_both_roles_declare_their_commands():
    names = {command["name"]: command["module"] for command in declared_commands()}
    assert names == {"omero-cache-regen-worker": "_cache_worker_cli", "omero-backup": "_backup_cli"}


def test_the_backup_command_runs_from_the_copy(installed):
    paths = installed[1]
    result = run_bare(paths["omero-backup"], "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: omero-backup" in result.stdout


def test_the_worker_command_runs_from_the_copy(installed):
    paths = installed[1]
    result = run_bare(paths["omero-cache-regen-worker"])
    assert result.returncode == 2, result.stderr
    assert "usage: omero-cache-regen-worker SLOT CONFIG" in result.stderr


def test_the_launcher_leaves_no_bytecode_beside_the_code(installed):
    package_dir, paths = installed
    for path in paths.values():
        run_bare(path, "--help")
    assert not [p for p in glob.glob(os.path.join(package_dir, "..", "**"), recursive=True) if "__pycache__" in p]


def test_the_launcher_uses_the_copy_not_another_collection_on_the_path(installed, tmp_path):
    package_dir, paths = installed
    with open(os.path.join(package_dir, "_cache_worker_cli.py"), "a", encoding="utf-8") as handle:
        handle.write("\nUSAGE = 'the installed copy\\n'\n")
    # The checkout's collection first on PYTHONPATH must not win over the copy.
    env = dict(os.environ, PYTHONPATH=COLLECTIONS_PATH)
    result = subprocess.run(
        [sys.executable, paths["omero-cache-regen-worker"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.stderr == "the installed copy\n"
