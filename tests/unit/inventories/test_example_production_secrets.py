# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""inventories/example-production names a vault placeholder for every secret a role needs.

A secret is a role option with no_log, or named *_password / *_certificate_key, in any role's
meta/argument_specs.yml. It is covered when the example inventory sets it from a vault_*
variable that vault.yml lists, or when the role's own default derives it from another variable
(omero_users_login_password defaults to omero_server_root_password), or, for an optional secret
whose role default "" turns its feature off, when vault.yml lists vault_<name> and says when to set it.
"""

from __future__ import annotations

import glob
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INVENTORY = os.path.join(ROOT, "inventories", "example-production")


def role_secrets():
    secrets = {}
    for spec in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        role = spec.split(os.sep)[-3]
        with open(spec, encoding="utf-8") as handle:
            entry_points = yaml.safe_load(handle)["argument_specs"]
        for entry_point in entry_points.values():
            for name, option in (entry_point.get("options") or {}).items():
                if option.get("no_log") or name.endswith(("_password", "_certificate_key")):
                    secrets[name] = role
    return secrets


def inventory_values():
    values = {}
    for path in glob.glob(os.path.join(INVENTORY, "group_vars", "**", "*.yml"), recursive=True):
        with open(path, encoding="utf-8") as handle:
            values.update(yaml.safe_load(handle) or {})
    return values


def role_default(name, role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get(name)


def test_every_secret_has_a_vault_placeholder():
    values = inventory_values()
    with open(os.path.join(INVENTORY, "group_vars", "all", "vault.yml"), encoding="utf-8") as handle:
        placeholders = set(re.findall(r"^# (vault_\w+):", handle.read(), re.MULTILINE))
    missing = []
    for name, role in sorted(role_secrets().items()):
        if name not in values:
            default = role_default(name, role)
            if default == "" and f"vault_{name}" in placeholders:
                continue  # optional (the role's default "" turns the feature off); vault.yml says when to set it
            if not (isinstance(default, str) and "{{" in default):
                missing.append(f"{name} ({role}): not set by the example inventory")
            continue
        # Set through another inventory variable (omero_server_db_password: database_*_password...)
        # or straight from a vault_* placeholder; either way a vault name must be at the end.
        value, seen = str(values[name]), set()
        while True:
            vaults = re.findall(r"\bvault_\w+", value)
            refs = [v for v in re.findall(r"{{\s*(\w+)", value) if v in values and v not in seen]
            if vaults or not refs:
                break
            seen.update(refs)
            value = " ".join(str(values[r]) for r in refs)
        if not vaults:
            missing.append(f"{name} ({role}): {values[name]!r} does not come from the vault")
        missing += [f"{name} ({role}): {v} is not listed in vault.yml" for v in vaults if v not in placeholders]
    assert missing == []
