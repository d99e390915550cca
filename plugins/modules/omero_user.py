#!/usr/bin/python
# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: omero_user
short_description: Create and update OMERO users, their groups and their administrator privileges
description:
  - Makes one OMERO user (an C(Experimenter)) look as described, through omero-py and OMERO's C(IAdmin) service.
  - Creates the user when its login does not exist, otherwise changes only what the task sets and differs.
  - Administrators are OMERO members of the C(system) group. A restricted administrator holds a subset of OMERO's
    privileges (OMERO 5.4+); a full administrator holds all of them.
  - OMERO cannot delete a user who owns data; to let someone go, set O(active=false).
version_added: 0.1.0
author:
  - bioimage.omero developers (@bioimage-omero)
extends_documentation_fragment:
  - bioimage.omero.omero_connection
options:
  name:
    description:
      - The user's login (OMERO's C(omeName)).
    type: str
    required: true
    aliases: [login]
  first_name:
    description:
      - First name. Required when the user is created.
    type: str
  middle_name:
    description:
      - Middle name.
    type: str
  last_name:
    description:
      - Last name. Required when the user is created.
    type: str
  email:
    description:
      - E-mail address.
    type: str
  institution:
    description:
      - Institution.
    type: str
  password:
    description:
      - The user's password. Required when the user is created; afterwards used only with O(update_password=always).
      - Never logged, never returned, never shown in a diff.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only when the user is created.
      - V(always) also makes an existing user's password O(password). The module first tries to log in as the user
        with it and changes it only when that login fails, so the task stays idempotent. Users who authenticate
        with LDAP, and inactive users, are left alone with a warning.
    type: str
    choices: [on_create, always]
    default: on_create
  groups:
    description:
      - The groups the user is a member of (not counting OMERO's built-in C(system), C(user) and C(guest) groups,
        which O(admin_type) and O(active) set).
      - The user is removed from groups not listed, unless O(append_groups=true).
      - O(default_group) and the groups of O(owner_of) are added to this list.
      - When omitted, the user's groups are left as they are.
    type: list
    elements: str
  append_groups:
    description:
      - Only add the user to O(groups); never remove it from a group.
    type: bool
    default: false
  default_group:
    description:
      - The group the user logs in to by default. Defaults to the first of O(groups) for a new user, and to
        OMERO's C(system) group for a new administrator without O(groups).
    type: str
  owner_of:
    description:
      - The groups this user owns (a group owner manages the members of the group and sees their data).
      - The user stops owning groups not listed. When omitted, ownership is left as it is.
    type: list
    elements: str
  active:
    description:
      - Whether the user can log in (OMERO's C(user) group membership). A new user is active unless this is V(false).
      - When omitted, left as it is.
    type: bool
  admin_type:
    description:
      - V(none) makes a normal user, V(restricted) an administrator with O(privileges) and O(privilege_preset),
        V(full) an administrator with every privilege (OMERO's C(root) is one).
      - When omitted, an existing user keeps its administrator status and a new user is V(none).
    type: str
    choices: [none, restricted, full]
  privileges:
    description:
      - OMERO privilege names for O(admin_type=restricted), added to those of O(privilege_preset). OMERO's
        privileges are C(Chgrp), C(Chown), C(DeleteFile), C(DeleteManagedRepo), C(DeleteOwned),
        C(DeleteScriptRepo), C(ModifyGroup), C(ModifyGroupMembership), C(ModifyUser), C(ReadSession), C(Sudo),
        C(WriteFile), C(WriteManagedRepo), C(WriteOwned) and C(WriteScriptRepo).
      - C(ReadSession) is refused for a restricted administrator (it lets the holder act as any user, including
        full administrators); use O(admin_type=full) if that is really meant.
      - The privileges of an existing restricted administrator are made exactly this set.
    type: list
    elements: str
  privilege_preset:
    description:
      - V(platform_admin) (with O(admin_type=restricted)) is the PlatformOmeroAdmin of the France-BioImaging OMERO
        deployment plan, its nine OMERO.web check boxes (Sudo, Write Data, Delete Data, Chgrp, Chown, Create and
        Edit Groups, Create and Edit Users, Add Users to Groups, Upload Scripts), that is C(Chgrp), C(Chown),
        C(DeleteFile), C(DeleteManagedRepo), C(DeleteOwned), C(DeleteScriptRepo), C(ModifyGroup),
        C(ModifyGroupMembership), C(ModifyUser), C(Sudo), C(WriteFile), C(WriteManagedRepo), C(WriteOwned) and
        C(WriteScriptRepo).
      - V(group_admin) is a group admin as OMERO models one, the B(owner) of the groups in O(owner_of) (required)
        with no administrator privilege, O(admin_type=none) (or no O(admin_type)). OMERO's privileges are
        server-wide, none stops at a group, so the plan's list would make a lab's group admin able to act as
        any user of the server (Sudo) and to publish scripts every user runs (WriteScriptRepo). A user who was
        a restricted administrator leaves the system group.
      - V(group_admin_server_wide) (with O(admin_type=restricted)) is the plan's list for a group admin, for
        sites that accept a server-wide administrator per group; the task then prints a warning.
    type: str
    choices: [platform_admin, group_admin, group_admin_server_wide]
attributes:
  check_mode:
    description: Reads the user and reports the calls it would make, without making any call that writes.
    support: full
  diff_mode:
    description: Shows the user before and after as data (never the password).
    support: full
seealso:
  - module: bioimage.omero.omero_group
  - name: OMERO restricted administrators
    description: OMERO's documentation of administrators with restricted privileges.
    link: https://omero.readthedocs.io/en/stable/sysadmins/restricted-admins.html
"""

EXAMPLES = r"""
- name: A scientist of the Smith lab
  bioimage.omero.omero_user:
    login_password: "{{ omero_root_password }}"
    name: jdoe
    first_name: Jane
    last_name: Doe
    email: jane.doe@example.org
    institution: Example Institute
    password: "{{ vault_jdoe_initial_password }}"
    groups: [smith-lab]
    default_group: smith-lab
  no_log: true

- name: The lab's group admin (FBI plan GroupOmeroAdmin, as OMERO models it - the group's owner)
  bioimage.omero.omero_user:
    login_password: "{{ omero_root_password }}"
    name: asmith
    first_name: Alex
    last_name: Smith
    password: "{{ vault_asmith_initial_password }}"
    groups: [smith-lab]
    owner_of: [smith-lab]
    privilege_preset: group_admin
  no_log: true

- name: Someone left the facility
  bioimage.omero.omero_user:
    login_password: "{{ omero_root_password }}"
    name: jdoe
    active: false
  no_log: true
"""

RETURN = r"""
user:
  description: The user after the task (predicted in check mode). Never contains a password.
  returned: success
  type: dict
  sample:
    name: jdoe
    first_name: Jane
    middle_name: null
    last_name: Doe
    email: jane.doe@example.org
    institution: Example Institute
    groups: [smith-lab]
    default_group: smith-lab
    owner_of: []
    active: true
    admin_type: none
    privileges: []
    ldap: false
operations:
  description: The OMERO calls made (in check mode, that would be made), passwords masked.
  returned: success
  type: list
  elements: str
  sample: ["IAdmin.addGroups('jdoe', ['smith-lab'])"]
password_changed:
  description: Whether the user's password was set (on creation, or with O(update_password=always)).
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_privileges import resolve_request
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_user import ensure_user
from ansible_collections.bioimage.omero.plugins.module_utils._omero_connection import (
    OmeroSession,
    connection_secrets,
    ensure_omero,
    omero_connection_argument_spec,
    run_admin_task,
)

USER_OPTIONS = (
    "name",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "institution",
    "password",
    "update_password",
    "groups",
    "append_groups",
    "default_group",
    "owner_of",
    "active",
    "admin_type",
    "privileges",
    "privilege_preset",
)


def argument_spec():
    spec = omero_connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True, aliases=["login"]),
        first_name=dict(type="str"),
        middle_name=dict(type="str"),
        last_name=dict(type="str"),
        email=dict(type="str"),
        institution=dict(type="str"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        groups=dict(type="list", elements="str"),
        append_groups=dict(type="bool", default=False),
        default_group=dict(type="str"),
        owner_of=dict(type="list", elements="str"),
        active=dict(type="bool"),
        admin_type=dict(type="str", choices=["none", "restricted", "full"]),
        privileges=dict(type="list", elements="str"),
        privilege_preset=dict(type="str", choices=["platform_admin", "group_admin", "group_admin_server_wide"]),
    )
    return spec


def check_admin_request(spec):
    """Bad privileges fail before any connection is made."""
    resolve_request(spec["admin_type"], spec["privileges"], spec["privilege_preset"], spec["owner_of"])


def run(module, session_factory=OmeroSession):
    """Everything main() does once the arguments are parsed (the unit tests call it with a fake session)."""
    params = module.params
    secrets = [*connection_secrets(params), params.get("password")]
    spec = {key: params[key] for key in USER_OPTIONS}
    run_admin_task(module, session_factory, ensure_user, spec, check_admin_request, secrets)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    ensure_omero(module)
    run(module, OmeroSession)


if __name__ == "__main__":
    main()
