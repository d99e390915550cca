#!/usr/bin/python
# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: omero_group
short_description: Create, update and remove OMERO groups, their permission level, owners and members
description:
  - Makes one OMERO group (an C(ExperimenterGroup)) look as described, through omero-py and OMERO's C(IAdmin)
    service.
  - Changing the permission level of an existing group uses OMERO's C(Chmod2) request, as C(omero group perms)
    and OMERO.web do.
  - Raising the level (C(private) < C(read-only) < C(read-annotate) < C(read-write)) is always done. Lowering it is
    refused unless O(allow_downgrade=true), because OMERO then removes the links the lower level no longer allows
    (annotations members made on other members' data are lost; going to C(private) also unlinks other members' data
    from containers) and refuses a change to C(private) when different users' data is too closely related to be
    separated. When OMERO refuses, the task fails with OMERO's reason.
  - OMERO's built-in groups C(system), C(user) and C(guest) are not managed here; see M(bioimage.omero.omero_user)
    options O(bioimage.omero.omero_user#module:admin_type) and O(bioimage.omero.omero_user#module:active).
version_added: 0.1.0
author:
  - bioimage.omero developers (@bioimage-omero)
extends_documentation_fragment:
  - bioimage.omero.omero_connection
options:
  name:
    description:
      - The group's name.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the group. OMERO refuses to delete a group that still holds data.
    type: str
    choices: [present, absent]
    default: present
  permissions:
    description:
      - The group's permission level, by name or as OMERO's permission string.
      - A new group is V(private) unless this is set; an existing group keeps its level when this is omitted.
    type: str
    choices: [private, read-only, read-annotate, read-write, rw----, rwr---, rwra--, rwrw--]
  allow_downgrade:
    description:
      - Allow lowering the permission level of an existing group (see the description for what OMERO then does).
    type: bool
    default: false
  description:
    description:
      - The group's description. Left as it is when omitted.
    type: str
  owners:
    description:
      - Logins of the group's owners. Owners are members too. Users no longer listed stop owning the group and stay
        members (unless O(members) says otherwise). When omitted, ownership is left as it is.
    type: list
    elements: str
  members:
    description:
      - Logins of the group's members (O(owners) are added). Members not listed are removed unless
        O(append_members=true). OMERO refuses to remove a user from its last group.
      - When omitted, membership is left as it is.
    type: list
    elements: str
  append_members:
    description:
      - Only add O(members); never remove a member.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the group and reports the calls it would make, without making any call that writes.
    support: full
  diff_mode:
    description: Shows the group before and after as data.
    support: full
seealso:
  - module: bioimage.omero.omero_user
  - name: OMERO groups and permissions
    description: OMERO's documentation of group permission levels.
    link: https://omero.readthedocs.io/en/stable/sysadmins/server-permissions.html
"""

EXAMPLES = r"""
- name: The Smith lab's group
  bioimage.omero.omero_group:
    login_password: "{{ omero_root_password }}"
    name: smith-lab
    description: Smith lab, cell biology
    permissions: read-annotate
    owners: [asmith]
  no_log: true

- name: The group whose data the public read-only OMERO.web shows
  bioimage.omero.omero_group:
    login_password: "{{ omero_root_password }}"
    name: public-data
    permissions: read-only
  no_log: true

- name: Make a group private again, accepting that cross-member links are removed
  bioimage.omero.omero_group:
    login_password: "{{ omero_root_password }}"
    name: old-project
    permissions: private
    allow_downgrade: true
  no_log: true
"""

RETURN = r"""
group:
  description: The group after the task (predicted in check mode); empty when absent.
  returned: success
  type: dict
  sample:
    name: smith-lab
    description: Smith lab, cell biology
    permissions: read-annotate
    members: [asmith, jdoe]
    owners: [asmith]
operations:
  description: The OMERO calls made (in check mode, that would be made).
  returned: success
  type: list
  elements: str
  sample: ["omero.cmd.Chmod2('smith-lab', 'rwra--')"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_group import ensure_group, permission_level
from ansible_collections.bioimage.omero.plugins.module_utils._omero_connection import (
    OmeroSession,
    connection_secrets,
    ensure_omero,
    omero_connection_argument_spec,
    run_admin_task,
)

GROUP_OPTIONS = (
    "name",
    "state",
    "permissions",
    "allow_downgrade",
    "description",
    "owners",
    "members",
    "append_members",
)


def argument_spec():
    spec = omero_connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        permissions=dict(
            type="str",
            choices=["private", "read-only", "read-annotate", "read-write", "rw----", "rwr---", "rwra--", "rwrw--"],
        ),
        allow_downgrade=dict(type="bool", default=False),
        description=dict(type="str"),
        owners=dict(type="list", elements="str"),
        members=dict(type="list", elements="str"),
        append_members=dict(type="bool", default=False),
    )
    return spec


def check_permissions(spec):
    """A bad permission level fails before any connection is made."""
    if spec["permissions"] is not None:
        permission_level(spec["permissions"])


def run(module, session_factory=OmeroSession):
    """Everything main() does once the arguments are parsed (the unit tests call it with a fake session)."""
    spec = {key: module.params[key] for key in GROUP_OPTIONS}
    run_admin_task(module, session_factory, ensure_group, spec, check_permissions, connection_secrets(module.params))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    ensure_omero(module)
    run(module, OmeroSession)


if __name__ == "__main__":
    main()
