# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake OMERO admin service for the unit tests: it records every call.

It implements the adapter interface of plugins/module_utils/_omero_admin.py,
keeps users and groups in memory, and applies the IAdmin rules the modules
rely on (taken from ome/omero-server's AdminImpl): removeGroups refuses to
leave a user without a group or in the "user" group only, setDefaultGroup
refuses "user", unknown privileges are refused, addGroupOwners adds the
membership, getAdminPrivileges is empty outside the "system" group.
"""

from __future__ import annotations

import copy

from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import (
    WRITE_METHODS,
    AdminAdapter,
    OmeroConnectionError,
    OmeroServerError,
)
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_privileges import PRIVILEGES

ROOT_PASSWORD = "r00t-S3cret-pw"


class FakeAdmin(AdminAdapter):
    def __init__(self):
        self.calls = []
        self.users = {}
        self.groups = {}
        self.passwords = {}
        self.privileges = {}
        self.refuse_chmod = {}  # group name -> the reason the server gives
        self.next_id = 10
        for name in ("system", "user", "guest"):
            self.groups[name] = {"name": name, "description": None, "permissions": "rw----", "owners": set()}
        self._add_user("root", ["system", "user"], first_name="root", last_name="root")
        self.privileges["root"] = set(PRIVILEGES)
        self.passwords["root"] = ROOT_PASSWORD
        self._add_user("guest", ["guest"], first_name="Guest", last_name="Account")

    # helpers for the tests

    def _add_user(self, name, groups, **fields):
        user = {"name": name, "ldap": False, "groups": list(groups)}
        for field in ("first_name", "middle_name", "last_name", "email", "institution"):
            user[field] = fields.get(field)
        self.users[name] = user
        return user

    def add_group(self, name, permissions="rw----", description=None, owners=()):
        self.groups[name] = {"name": name, "description": description, "permissions": permissions, "owners": set()}
        for owner in owners:
            self.users[owner]["groups"].append(name)
            self.groups[name]["owners"].add(owner)

    def add_user(self, name, groups, password="old-pw", privileges=None, owner_of=(), **fields):  # noqa: S107
        fields.setdefault("first_name", name.title())
        fields.setdefault("last_name", "Tester")
        self._add_user(name, groups, **fields)
        self.passwords[name] = password
        if privileges is not None:
            self.privileges[name] = set(privileges)
        for group in owner_of:
            self.groups[group]["owners"].add(name)

    def write_calls(self):
        return [c for c in self.calls if c[0] in WRITE_METHODS]

    def _record(self, method, *args):
        self.calls.append((method, copy.deepcopy(args)))

    def _user(self, name):
        if name not in self.users:
            raise OmeroServerError(f"ApiUsageException: No such experimenter: {name}")
        return self.users[name]

    def _group(self, name):
        if name not in self.groups:
            raise OmeroServerError(f"ApiUsageException: No such group: {name}")
        return self.groups[name]

    # reads

    def security_roles(self):
        self._record("security_roles")
        return {
            "system_group": "system",
            "user_group": "user",
            "guest_group": "guest",
            "root": "root",
            "guest": "guest",
        }

    def lookup_experimenter(self, name):
        self._record("lookup_experimenter", name)
        user = self.users.get(name)
        if user is None:
            return None
        result = copy.deepcopy(user)
        result["default_group"] = next((g for g in user["groups"] if g != "user"), None)
        result["owner_of"] = sorted(g for g, grp in self.groups.items() if name in grp["owners"])
        return result

    def get_admin_privileges(self, name):
        self._record("get_admin_privileges", name)
        if "system" not in self._user(name)["groups"]:
            return []
        return sorted(self.privileges.get(name, PRIVILEGES))

    def lookup_group(self, name):
        self._record("lookup_group", name)
        group = self.groups.get(name)
        if group is None:
            return None
        members = sorted(u for u, user in self.users.items() if name in user["groups"])
        return {
            "name": name,
            "description": group["description"],
            "permissions": group["permissions"],
            "members": members,
            "owners": sorted(group["owners"]),
        }

    def check_password(self, name, password):
        self._record("check_password", name, "<password>")
        user = self.users.get(name)
        return bool(user) and "user" in user["groups"] and self.passwords.get(name) == password

    # writes

    def _check_privileges(self, privileges):
        for privilege in privileges:
            if privilege not in PRIVILEGES:
                raise OmeroServerError(f"ApiUsageException: unknown light administrator privilege: {privilege}")

    def create_experimenter_with_password(self, user, password, default_group, groups):
        self._record("create_experimenter_with_password", user, password, default_group, groups)
        if user["name"] in self.users:
            raise OmeroServerError("ValidationException: user {} exists".format(user["name"]))
        for group in [default_group, *groups]:
            self._group(group)
        self._add_user(user["name"], [default_group, *groups], **_fields(user))
        self.passwords[user["name"]] = password
        self.next_id += 1
        return self.next_id

    def create_restricted_system_user_with_password(self, user, privileges, password):
        self._record("create_restricted_system_user_with_password", user, privileges, password)
        self._check_privileges(privileges)
        if user["name"] in self.users:
            raise OmeroServerError("ValidationException: user {} exists".format(user["name"]))
        self._add_user(user["name"], ["system", "user"], **_fields(user))
        self.privileges[user["name"]] = set(privileges)
        self.passwords[user["name"]] = password
        self.next_id += 1
        return self.next_id

    def update_experimenter(self, name, user):
        self._record("update_experimenter", name, user)
        self._user(name).update(user)

    def change_user_password(self, name, password):
        self._record("change_user_password", name, password)
        self._user(name)
        self.passwords[name] = password

    def set_admin_privileges(self, name, privileges):
        self._record("set_admin_privileges", name, privileges)
        self._check_privileges(privileges)
        self._user(name)
        self.privileges[name] = set(privileges)

    def add_groups(self, name, groups):
        self._record("add_groups", name, groups)
        user = self._user(name)
        for group in groups:
            self._group(group)
            if group not in user["groups"]:
                user["groups"].append(group)

    def remove_groups(self, name, groups):
        self._record("remove_groups", name, groups)
        user = self._user(name)
        left = [g for g in user["groups"] if g not in groups]
        if not left:
            raise OmeroServerError("ValidationException: experimenter must remain a member of some group")
        if left == ["user"]:
            raise OmeroServerError(
                "ValidationException: experimenter cannot be a member of only the 'user' group,"
                " a different default group is also required"
            )
        user["groups"] = left
        for group in groups:
            self.groups[group]["owners"].discard(name)

    def set_default_group(self, name, group):
        self._record("set_default_group", name, group)
        user = self._user(name)
        if group == "user":
            raise OmeroServerError("ApiUsageException: Cannot set default group to: user")
        if group not in user["groups"]:
            raise OmeroServerError(f"ApiUsageException: {name} is not in group {group}")
        user["groups"].remove(group)
        user["groups"].insert(0, group)

    def add_group_owners(self, group, users):
        self._record("add_group_owners", group, users)
        grp = self._group(group)
        for name in users:
            user = self._user(name)
            if group not in user["groups"]:
                user["groups"].append(group)
            grp["owners"].add(name)

    def remove_group_owners(self, group, users):
        self._record("remove_group_owners", group, users)
        grp = self._group(group)
        for name in users:
            grp["owners"].discard(name)

    def create_group(self, group):
        self._record("create_group", group)
        if group["name"] in self.groups:
            raise OmeroServerError("ValidationException: group {} exists".format(group["name"]))
        self.groups[group["name"]] = dict(group, owners=set())
        self.next_id += 1
        return self.next_id

    def update_group(self, name, group):
        self._record("update_group", name, group)
        self._group(name)["description"] = group.get("description")

    def chmod_group(self, name, permissions):
        self._record("chmod_group", name, permissions)
        grp = self._group(name)
        if name in self.refuse_chmod:
            raise OmeroServerError(self.refuse_chmod[name])
        grp["permissions"] = permissions

    def delete_group(self, name):
        self._record("delete_group", name)
        self._group(name)
        del self.groups[name]
        for user in self.users.values():
            if name in user["groups"]:
                user["groups"].remove(name)


class FakeSession:
    """Stands for _omero_connection.OmeroSession in module tests."""

    def __init__(self, admin, error=None):
        self._admin = admin
        self._error = error
        self.params = None
        self.closed = False

    def __call__(self, params):
        self.params = params
        return self

    def __enter__(self):
        if self._error:
            raise OmeroConnectionError(self._error)
        return self

    def __exit__(self, *exc_info):
        self.closed = True
        return False

    def admin(self):
        return self._admin


def _fields(user):
    return {k: v for k, v in user.items() if k != "name"}
