# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml validates every role it applies, for every host, before any play changes a host.

A play added to site.yml (or to a playbook it imports) that applies a role must add the role to
the validation play's platform_validate_roles, and the role must have a `validate` entry point.
The molecule scenario `smoke` runs the refusals themselves against real hosts.
"""

from __future__ import annotations

import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PREFIX = "bioimage.omero."


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def applied_roles(playbook):
    """Roles applied whole (roles: or include_role without tasks_from) by a playbook and its imports."""
    roles = set()
    for play in load(playbook):
        imported = play.get("ansible.builtin.import_playbook")
        if imported:
            if imported != "validate.yml":
                roles |= applied_roles(os.path.join(os.path.dirname(playbook), imported))
            continue
        for role in play.get("roles", []):
            roles.add((role["role"] if isinstance(role, dict) else role).removeprefix(PREFIX))
        for task in play.get("tasks", []):
            include = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role")
            if include and "tasks_from" not in include:
                roles.add(include["name"].removeprefix(PREFIX))
    return roles


def validation_import(playbook):
    plays = load(playbook)
    for index, play in enumerate(plays):
        if play.get("ansible.builtin.import_playbook") == "validate.yml":
            return index, plays, play["vars"]["platform_validate_roles"]
    pytest.fail(f"{playbook} does not import validate.yml")


@pytest.mark.parametrize("playbook", ["playbooks/site.yml", "playbooks/users.yml"])
def test_validation_comes_before_any_play_that_changes_hosts(playbook):
    index, plays, _roles = validation_import(playbook)
    # Only the inventory check (localhost, changes nothing) may come first.
    assert all(play.get("hosts") == "localhost" for play in plays[:index]), plays[:index]


@pytest.mark.parametrize("playbook", ["playbooks/site.yml", "playbooks/users.yml"])
def test_every_applied_role_is_validated(playbook):
    _index, _plays, validated = validation_import(playbook)
    missing = applied_roles(playbook) - set(validated)
    assert not missing, f"{playbook} applies {sorted(missing)} unvalidated: add it to platform_validate_roles"


def test_every_validated_role_has_a_validate_entry_point():
    _index, _plays, validated = validation_import("playbooks/site.yml")
    for role in [*validated, "omero_users"]:
        specs = load(f"roles/{role}/meta/argument_specs.yml")["argument_specs"]
        assert "validate" in specs, f"roles/{role}/meta/argument_specs.yml has no validate entry point"
        assert specs["validate"]["options"] == specs["main"]["options"], role
        assert os.path.isfile(os.path.join(ROOT, "roles", role, "tasks", "validate.yml")), role


def test_the_validation_play_stops_every_host_on_one_failure():
    (play,) = load("playbooks/validate.yml")
    assert play["any_errors_fatal"] is True
    assert "always" in play["tags"]
