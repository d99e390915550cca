# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: role_default
short_description: The default of a variable in the role of this collection that owns it
version_added: 0.1.0
description:
  - Returns the value a variable has in the C(defaults/main.yml) of the role of this collection
    that owns it (the role whose name prefixes the variable, e.g. C(database) for C(database_port)).
  - For the values two roles must agree on (the database name and port, the read-only role, the
    OMERO.web port...), the owner's role defaults hold the value once, and the other role's default
    reads the owner's variable, falling back to this lookup when the owner's role is not in the play
    and the inventory does not set it, e.g.
    C({{ database_port | default(lookup('bioimage.omero.role_default', 'database_port')) }}).
  - Only plain values can be shared this way; a default that is a template is refused (set the
    variable in the inventory instead).
options:
  _terms:
    description: Names of the variables.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Read the port the database role listens on by default
  ansible.builtin.debug:
    msg: "{{ database_port | default(lookup('bioimage.omero.role_default', 'database_port')) }}"
"""

RETURN = r"""
_raw:
  description: The default of each variable, in the order of the terms.
  type: list
  elements: raw
"""

from pathlib import Path

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"


def owner_defaults(name, roles_dir=ROLES_DIR):
    """The defaults of the role whose name is the longest prefix of the variable name."""
    owners = sorted(
        (d for d in roles_dir.iterdir() if name.startswith(d.name + "_") and (d / "defaults" / "main.yml").is_file()),
        key=lambda d: len(d.name),
        reverse=True,
    )
    if not owners:
        raise AnsibleLookupError(
            f"role_default: no role of bioimage.omero owns the variable '{name}'"
            " (its name must start with the role's name and '_')."
        )
    with (owners[0] / "defaults" / "main.yml").open(encoding="utf-8") as handle:
        return owners[0].name, yaml.safe_load(handle) or {}


def role_default(name, roles_dir=ROLES_DIR):
    role, defaults = owner_defaults(name, roles_dir)
    if name not in defaults:
        raise AnsibleLookupError(f"role_default: the role {role} has no default for '{name}'.")
    value = defaults[name]
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        raise AnsibleLookupError(
            f"role_default: the default of '{name}' in the role {role} is a template;"
            f" set {name} in the inventory (the platform's group_vars)."
        )
    return value


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [role_default(str(term)) for term in terms]
