# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired-state logic for OMERO users and groups.

Nothing here imports omero-py. The modules talk to OMERO through an *adapter*
(see :class:`AdminAdapter`) whose write methods mirror OMERO's IAdmin calls one
to one; ``_omero_connection.IAdminAdapter`` implements it over omero-py, and the
unit tests implement it with a fake that records every call.

Users and groups are described as plain dicts, so results and diffs are data.
A password is never put into a returned value, a diff or an exception text.
"""

from __future__ import annotations

import collections

# The values of OMERO's AdminPrivilege enumeration (omero.model.enums.AdminPrivilege*).
PRIVILEGES = (
    "Chgrp",
    "Chown",
    "DeleteFile",
    "DeleteManagedRepo",
    "DeleteOwned",
    "DeleteScriptRepo",
    "ModifyGroup",
    "ModifyGroupMembership",
    "ModifyUser",
    "ReadSession",
    "Sudo",
    "WriteFile",
    "WriteManagedRepo",
    "WriteOwned",
    "WriteScriptRepo",
)

# The France-BioImaging plan lists the same nine OMERO.web check boxes for the
# PlatformOmeroAdmin and the GroupOmeroAdmin. OMERO.web maps each box to these
# privileges (omeroweb.webclient.webclient_gateway.get_privileges_from_form).
WEB_PRIVILEGE_BOXES = collections.OrderedDict(
    [
        ("Sudo", ("Sudo",)),
        ("Write Data", ("WriteFile", "WriteManagedRepo", "WriteOwned")),
        ("Delete Data", ("DeleteFile", "DeleteManagedRepo", "DeleteOwned")),
        ("Chgrp", ("Chgrp",)),
        ("Chown", ("Chown",)),
        ("Create and Edit Groups", ("ModifyGroup",)),
        ("Create and Edit Users", ("ModifyUser",)),
        ("Add Users to Groups", ("ModifyGroupMembership",)),
        ("Upload Scripts", ("WriteScriptRepo", "DeleteScriptRepo")),
    ]
)
_FBI_PLAN = tuple(sorted(p for privs in WEB_PRIVILEGE_BOXES.values() for p in privs))
PRESETS = {"platform_admin": _FBI_PLAN, "group_admin": _FBI_PLAN}

ADMIN_TYPES = ("none", "restricted", "full")

# Group permission levels and OMERO's permission strings (omero.plugins.group).
PERMISSION_LEVELS = collections.OrderedDict(
    [("private", "rw----"), ("read-only", "rwr---"), ("read-annotate", "rwra--"), ("read-write", "rwrw--")]
)
_LEVEL_OF_STRING = {v: k for k, v in PERMISSION_LEVELS.items()}
_RANK = {level: rank for rank, level in enumerate(PERMISSION_LEVELS)}

USER_FIELDS = ("first_name", "middle_name", "last_name", "email", "institution")

# Adapter write methods and the IAdmin call each one makes.
WRITE_CALLS = collections.OrderedDict(
    [
        ("create_experimenter_with_password", "IAdmin.createExperimenterWithPassword"),
        ("create_restricted_system_user_with_password", "IAdmin.createRestrictedSystemUserWithPassword"),
        ("update_experimenter", "IAdmin.updateExperimenter"),
        ("change_user_password", "IAdmin.changeUserPassword"),
        ("set_admin_privileges", "IAdmin.setAdminPrivileges"),
        ("add_groups", "IAdmin.addGroups"),
        ("remove_groups", "IAdmin.removeGroups"),
        ("set_default_group", "IAdmin.setDefaultGroup"),
        ("add_group_owners", "IAdmin.addGroupOwners"),
        ("remove_group_owners", "IAdmin.removeGroupOwners"),
        ("create_group", "IAdmin.createGroup"),
        ("update_group", "IAdmin.updateGroup"),
        ("chmod_group", "omero.cmd.Chmod2"),
        ("delete_group", "IAdmin.deleteGroup"),
    ]
)
WRITE_METHODS = frozenset(WRITE_CALLS)
MASK = "********"


class OmeroError(Exception):
    """Base of the errors the modules report with fail_json."""


class OmeroInputError(OmeroError):
    """The task asked for something invalid (unknown privilege, bad level...)."""


class OmeroConnectionError(OmeroError):
    """The server cannot be reached, or refused the login."""


class OmeroServerError(OmeroError):
    """The server refused an operation."""


class AdminAdapter:
    """What the desired-state logic needs from OMERO (documentation and base class).

    Read methods return plain data. Users and groups are named by login and
    group name; the adapter resolves ids. Write methods mirror IAdmin calls.
    """

    def security_roles(self):
        """Names of OMERO's built-in groups and users.

        A dict with ``system_group``, ``user_group``, ``guest_group``, ``root`` and ``guest``.
        """
        raise NotImplementedError

    def lookup_experimenter(self, name):
        """A user as a dict, or None when the login does not exist.

        Keys: ``name``, the USER_FIELDS (None when unset), ``ldap`` (bool),
        ``groups`` (names of every group the user is in, built-in ones included),
        ``default_group`` (name or None) and ``owner_of`` (names).
        """
        raise NotImplementedError

    def get_admin_privileges(self, name):
        """The user's privilege names (empty unless the user is in the system group)."""
        raise NotImplementedError

    def lookup_group(self, name):
        """A group as a dict, or None. Keys: ``name``, ``description``,
        ``permissions`` (e.g. ``rwr---``), ``members`` and ``owners`` (logins)."""
        raise NotImplementedError

    def check_password(self, name, password):
        """True when ``name`` can log in with ``password`` (a login attempt, no write)."""
        raise NotImplementedError

    # Write methods, named after WRITE_CALLS:
    # create_experimenter_with_password(user, password, default_group, groups) -> id
    # create_restricted_system_user_with_password(user, privileges, password) -> id
    # update_experimenter(name, user); change_user_password(name, password)
    # set_admin_privileges(name, privileges); add_groups(name, groups)
    # remove_groups(name, groups); set_default_group(name, group)
    # add_group_owners(group, users); remove_group_owners(group, users)
    # create_group(group) -> id; update_group(name, group)
    # chmod_group(name, permissions); delete_group(name)


class Operation(collections.namedtuple("Operation", "method args")):
    """One write call. ``secret`` positions are masked in its description."""

    __slots__ = ()

    def describe(self, secrets=()):
        shown = []
        for value in self.args:
            if isinstance(value, str) and value in secrets:
                shown.append(MASK)
            else:
                shown.append(_plain(value))
        return "{}({})".format(WRITE_CALLS[self.method], ", ".join(repr(v) for v in shown))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def redact(text, secrets):
    """Return text with every non-empty secret replaced by a mask."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


# --- privileges and permission levels ---------------------------------------------------------


def resolve_admin(admin_type, privileges=None, preset=None):
    """Return (admin_type, sorted privileges) for what a task asked.

    ``admin_type`` none: no privileges; full: every privilege; restricted: the
    union of ``preset`` and ``privileges``, which must not contain ReadSession.
    """
    if admin_type not in ADMIN_TYPES:
        raise OmeroInputError("admin_type must be one of {}, got {!r}".format(", ".join(ADMIN_TYPES), admin_type))
    privileges = list(privileges or [])
    if admin_type != "restricted":
        if privileges or preset:
            raise OmeroInputError(
                f"privileges and privilege_preset apply only to admin_type restricted (admin_type is {admin_type})"
            )
        return admin_type, tuple(PRIVILEGES) if admin_type == "full" else ()
    if preset is not None and preset not in PRESETS:
        raise OmeroInputError("unknown privilege_preset {!r}: use one of {}".format(preset, ", ".join(sorted(PRESETS))))
    unknown = sorted(set(privileges) - set(PRIVILEGES))
    if unknown:
        raise OmeroInputError(
            "unknown OMERO privilege(s) {}: OMERO's privileges are {}".format(
                ", ".join(repr(p) for p in unknown), ", ".join(PRIVILEGES)
            )
        )
    resolved = set(privileges) | set(PRESETS.get(preset, ()))
    if "ReadSession" in resolved:
        raise OmeroInputError(
            "ReadSession is refused for a restricted administrator: it lets the holder read other users'"
            " sessions and so act as any user, including full administrators; use admin_type full if that is"
            " really meant"
        )
    if not resolved:
        raise OmeroInputError("admin_type restricted needs privileges or a privilege_preset")
    return "restricted", tuple(sorted(resolved))


def permission_level(value):
    """Return the level name for a level name or an OMERO permission string."""
    if value in PERMISSION_LEVELS:
        return value
    if value in _LEVEL_OF_STRING:
        return _LEVEL_OF_STRING[value]
    raise OmeroInputError(
        "bad group permission level {!r}: use one of {} (or OMERO's strings {})".format(
            value, ", ".join(PERMISSION_LEVELS), ", ".join(PERMISSION_LEVELS.values())
        )
    )


def is_downgrade(before, after):
    return _RANK[permission_level(after)] < _RANK[permission_level(before)]


def downgrade_message(group, before, after):
    before, after = permission_level(before), permission_level(after)
    msg = (
        f"group {group!r} is {before} ({PERMISSION_LEVELS[before]}); changing it to {after}"
        f" ({PERMISSION_LEVELS[after]}) is a downgrade. OMERO then removes the links the lower level no longer"
        " allows (annotations that members made on other members' data are lost)"
    )
    if after == "private":
        msg += (
            ", unlinks other members' data from containers, and refuses the change when different users' data"
            " is too closely related to be separated"
        )
    return msg + ". Set allow_downgrade: true to proceed."


# --- reading the current state ----------------------------------------------------------------


def current_user(adapter, name, roles):
    """The user as the modules show it (diff and return value), or None."""
    exp = adapter.lookup_experimenter(name)
    if exp is None:
        return None
    special = {roles["system_group"], roles["user_group"], roles["guest_group"]}
    groups = list(exp.get("groups") or [])
    if roles["system_group"] in groups:
        privileges = tuple(sorted(adapter.get_admin_privileges(name)))
        admin_type = "full" if set(privileges) == set(PRIVILEGES) else "restricted"
    else:
        privileges, admin_type = (), "none"
    user = {"name": exp["name"]}
    for field in USER_FIELDS:
        user[field] = exp.get(field)
    user.update(
        groups=sorted(g for g in groups if g not in special),
        default_group=exp.get("default_group"),
        owner_of=sorted(exp.get("owner_of") or []),
        active=roles["user_group"] in groups,
        admin_type=admin_type,
        privileges=list(privileges),
        ldap=bool(exp.get("ldap")),
    )
    return user


def current_group(adapter, name):
    grp = adapter.lookup_group(name)
    if grp is None:
        return None
    return {
        "name": grp["name"],
        "description": grp.get("description"),
        "permissions": permission_level(grp["permissions"]),
        "members": sorted(grp.get("members") or []),
        "owners": sorted(grp.get("owners") or []),
    }


# --- users ------------------------------------------------------------------------------------


def _check_refs(lookup, names, kind, what, check_mode, warnings):
    """Refuse names ``lookup`` does not find; in check mode only warn (an earlier task may create them)."""
    missing = sorted(n for n in set(names) if lookup(n) is None)
    if not missing:
        return
    msg = "{} name(s) {}(s) that do not exist: {}".format(what, kind, ", ".join(missing))
    if check_mode:
        warnings.append(msg + " (check mode: assuming an earlier task creates them)")
    else:
        raise OmeroInputError(msg)


def normalize_user(spec, roles):
    """Validate a desired user and fill the derived values.

    ``spec`` keys: name, the USER_FIELDS, password, update_password (on_create|always),
    groups, append_groups, default_group, owner_of, active, admin_type, privileges,
    privilege_preset. None means "leave as it is" (or OMERO's default on creation).
    """
    want = dict(spec)
    if not want.get("name"):
        raise OmeroInputError("name (the user's login) is required")
    special = {roles["system_group"], roles["user_group"], roles["guest_group"]}
    for key in ("groups", "owner_of"):
        if want.get(key) is not None:
            bad = sorted(set(want[key]) & special)
            if bad:
                raise OmeroInputError(
                    "{} must not list OMERO's built-in group(s) {}: membership of {!r} is set by admin_type and"
                    " of {!r} by active".format(key, ", ".join(bad), roles["system_group"], roles["user_group"])
                )
    if want.get("default_group") in (roles["user_group"], roles["guest_group"]):
        raise OmeroInputError("default_group cannot be OMERO's built-in group {!r}".format(want["default_group"]))
    if want.get("update_password", "on_create") not in ("on_create", "always"):
        raise OmeroInputError("update_password must be on_create or always")
    if want.get("admin_type") is not None:
        want["admin_type"], want["privileges"] = resolve_admin(
            want["admin_type"], want.get("privileges"), want.get("privilege_preset")
        )
    elif want.get("privileges") or want.get("privilege_preset"):
        raise OmeroInputError("privileges and privilege_preset need admin_type: restricted")
    return want


def _wanted_groups(want, cur_groups):
    """The non-built-in groups the user should be in, or None when unmanaged."""
    extra = set(want.get("owner_of") or [])
    default = want.get("default_group")
    if default:
        extra.add(default)
    if want.get("groups") is None:
        if not extra:
            return None
        return sorted(set(cur_groups) | extra)
    wanted = set(want["groups"]) | extra
    if want.get("append_groups"):
        wanted |= set(cur_groups)
    return sorted(wanted)


def plan_user(current, want, roles):
    """Return (operations, predicted user) to go from ``current`` (dict or None) to ``want``."""
    name = want["name"]
    system, usergroup = roles["system_group"], roles["user_group"]
    ops = []
    fields = {f: want.get(f) for f in USER_FIELDS}
    if current is None:
        return _plan_create(want, fields, roles)

    after = dict(current)
    # 1. names, email, institution: only what the task sets
    new_fields = {f: current.get(f) for f in USER_FIELDS}
    for f in USER_FIELDS:
        # None: not managed; "": clear it (OMERO stores no empty strings, it reads back as None)
        if want.get(f) is not None and (want[f] or None) != current.get(f):
            new_fields[f] = want[f] or None
    if new_fields != {f: current.get(f) for f in USER_FIELDS}:
        ops.append(Operation("update_experimenter", (name, new_fields)))
        after.update(new_fields)

    removals = []
    # 2. administrator type and privileges (privileges first, so that joining the
    #    system group never grants more than asked, even for a moment)
    admin_type = want.get("admin_type")
    if admin_type is not None:
        privileges = list(want["privileges"])
        if admin_type == "none":
            if current["admin_type"] != "none":
                removals.append(system)
        else:
            if current["admin_type"] == "none" or sorted(current["privileges"]) != sorted(privileges):
                ops.append(Operation("set_admin_privileges", (name, privileges)))
            if current["admin_type"] == "none":
                ops.append(Operation("add_groups", (name, [system])))
        after.update(admin_type=admin_type, privileges=privileges)

    # 3. active = member of the "user" group
    active = want.get("active")
    if active is not None and active != current["active"]:
        if active:
            ops.append(Operation("add_groups", (name, [usergroup])))
        else:
            removals.append(usergroup)
        after["active"] = active

    # 4. groups, default group, ownership
    wanted = _wanted_groups(want, current["groups"])
    if wanted is not None:
        to_add = sorted(set(wanted) - set(current["groups"]))
        to_remove = sorted(set(current["groups"]) - set(wanted))
        if to_add:
            ops.append(Operation("add_groups", (name, to_add)))
        after["groups"] = wanted
    else:
        to_remove = []
    default = want.get("default_group")
    if default and default != current.get("default_group"):
        ops.append(Operation("set_default_group", (name, default)))
        after["default_group"] = default
    if want.get("owner_of") is not None:
        owned = set(want["owner_of"])
        for group in sorted(owned - set(current["owner_of"])):
            ops.append(Operation("add_group_owners", (group, [name])))
        for group in sorted(set(current["owner_of"]) - owned):
            if group not in to_remove:
                ops.append(Operation("remove_group_owners", (group, [name])))
        after["owner_of"] = sorted(owned)
    elif to_remove:
        after["owner_of"] = sorted(set(current["owner_of"]) - set(to_remove))
    if to_remove:
        if after.get("default_group") in to_remove:
            raise OmeroInputError(
                "user {!r} would leave its default group {!r}: set default_group to one of {}".format(
                    name, after["default_group"], ", ".join(wanted) or "(no group left)"
                )
            )
        ops.append(Operation("remove_groups", (name, to_remove)))
    if removals:
        if system in removals and after.get("default_group") == system:
            raise OmeroInputError(
                f"user {name!r} has OMERO's {system!r} group as default group and admin_type none removes it"
                " from that group: set default_group"
            )
        ops.append(Operation("remove_groups", (name, removals)))

    # 5. password, only when asked
    if want.get("password") and want.get("update_password") == "always" and current.get("_password_ok") is False:
        ops.append(Operation("change_user_password", (name, want["password"])))
    return ops, after


def _plan_create(want, fields, roles):
    name = want["name"]
    missing = [f for f in ("first_name", "last_name", "password") if not want.get(f)]
    if missing:
        raise OmeroInputError("user {!r} does not exist; creating it needs {}".format(name, ", ".join(missing)))
    admin_type = want.get("admin_type") or "none"
    privileges = list(want.get("privileges") or ())
    active = want.get("active") is not False
    wanted = _wanted_groups(want, []) or []
    default = want.get("default_group") or (want.get("groups") or [None])[0]
    user = {"name": name}
    user.update(fields)
    ops = []
    if admin_type == "none":
        if not default:
            raise OmeroInputError(f"user {name!r} does not exist; creating it needs default_group or groups")
        others = [g for g in wanted if g != default] + ([roles["user_group"]] if active else [])
        ops.append(Operation("create_experimenter_with_password", (user, want["password"], default, others)))
    else:
        # OMERO creates it in the system and user groups, system as default group
        ops.append(Operation("create_restricted_system_user_with_password", (user, privileges, want["password"])))
        if wanted:
            ops.append(Operation("add_groups", (name, wanted)))
        if default:
            ops.append(Operation("set_default_group", (name, default)))
        if not active:
            ops.append(Operation("remove_groups", (name, [roles["user_group"]])))
    for group in sorted(set(want.get("owner_of") or [])):
        ops.append(Operation("add_group_owners", (group, [name])))
    after = {"name": name}
    after.update(fields)
    after.update(
        groups=wanted,
        default_group=default or roles["system_group"],
        owner_of=sorted(set(want.get("owner_of") or [])),
        active=active,
        admin_type=admin_type,
        privileges=privileges,
        ldap=False,
    )
    return ops, after


def ensure_user(adapter, spec, check_mode=False):
    """Bring one user to the desired state. Returns the module result (without msg)."""
    secrets = [spec.get("password")]
    try:
        roles = adapter.security_roles()
        want = normalize_user(spec, roles)
        warnings = []
        before = current_user(adapter, want["name"], roles)
        refs = list(want.get("groups") or []) + list(want.get("owner_of") or [])
        if want.get("default_group") and want["default_group"] != roles["system_group"]:
            refs.append(want["default_group"])
        _check_refs(adapter.lookup_group, refs, "group", "user {!r}".format(want["name"]), check_mode, warnings)
        if before is not None and want.get("password") and want.get("update_password") == "always":
            if before["ldap"]:
                warnings.append("user {!r} authenticates with LDAP: password not changed".format(want["name"]))
            elif not before["active"] and want.get("active") is not True:
                warnings.append(
                    "user {!r} is inactive (cannot log in): password not checked or changed".format(want["name"])
                )
            else:
                before["_password_ok"] = bool(adapter.check_password(want["name"], want["password"]))
        ops, after = plan_user(before, want, roles)
        _apply(adapter, ops, check_mode, secrets)
    except OmeroError as exc:
        # The error text may quote a server message: never let a password through.
        raise type(exc)(redact(exc, secrets)) from None
    password_changed = any(op.method in ("change_user_password",) for op in ops)
    if before is not None:
        before.pop("_password_ok", None)
        after.pop("_password_ok", None)
    result = {
        "changed": bool(ops),
        "user": after,
        "operations": [op.describe(secrets) for op in ops],
        "password_changed": password_changed or (before is None and bool(ops)),
        "warnings": warnings,
        "diff": {"before": before or {}, "after": after},
    }
    return result


# --- groups -----------------------------------------------------------------------------------


def normalize_group(spec, roles):
    want = dict(spec)
    if not want.get("name"):
        raise OmeroInputError("name (the group's name) is required")
    builtin = (roles["system_group"], roles["user_group"], roles["guest_group"])
    if want["name"] in builtin:
        raise OmeroInputError(
            "group {!r} is one of OMERO's built-in groups ({}); it is not managed by omero_group: use omero_user's"
            " admin_type and active".format(want["name"], ", ".join(builtin))
        )
    if want.get("state", "present") not in ("present", "absent"):
        raise OmeroInputError("state must be present or absent")
    if want.get("permissions") is not None:
        want["permissions"] = permission_level(want["permissions"])
    return want


def plan_group(current, want):
    """Return (operations, predicted group)."""
    name = want["name"]
    ops = []
    if want.get("state", "present") == "absent":
        if current is not None:
            ops.append(Operation("delete_group", (name,)))
        return ops, {}
    owners = want.get("owners")
    members = want.get("members")
    if current is None:
        level = want.get("permissions") or "private"
        group = {"name": name, "description": want.get("description"), "permissions": PERMISSION_LEVELS[level]}
        ops.append(Operation("create_group", (group,)))
        wanted_members = sorted(set(members or []) | set(owners or []))
        for user in wanted_members:
            ops.append(Operation("add_groups", (user, [name])))
        if owners:
            ops.append(Operation("add_group_owners", (name, sorted(set(owners)))))
        after = {
            "name": name,
            "description": want.get("description"),
            "permissions": level,
            "members": wanted_members,
            "owners": sorted(set(owners or [])),
        }
        return ops, after

    after = dict(current)
    if want.get("description") is not None and want["description"] != current.get("description"):
        ops.append(Operation("update_group", (name, {"name": name, "description": want["description"]})))
        after["description"] = want["description"]
    level = want.get("permissions")
    if level is not None and level != current["permissions"]:
        if is_downgrade(current["permissions"], level) and not want.get("allow_downgrade"):
            raise OmeroInputError(downgrade_message(name, current["permissions"], level))
        ops.append(Operation("chmod_group", (name, PERMISSION_LEVELS[level])))
        after["permissions"] = level
    if members is not None or owners is not None:
        wanted = set(current["members"]) | set(owners or [])
        if members is not None:
            wanted |= set(members)
            if not want.get("append_members"):
                wanted = set(members) | set(owners or [])
        for user in sorted(wanted - set(current["members"])):
            ops.append(Operation("add_groups", (user, [name])))
        after["members"] = sorted(wanted)
        removed = sorted(set(current["members"]) - wanted)
    else:
        removed = []
    if owners is not None:
        new_owners = sorted(set(owners) - set(current["owners"]))
        gone = sorted(set(current["owners"]) - set(owners) - set(removed))
        if new_owners:
            ops.append(Operation("add_group_owners", (name, new_owners)))
        if gone:
            ops.append(Operation("remove_group_owners", (name, gone)))
        after["owners"] = sorted(set(owners))
    elif removed:
        after["owners"] = sorted(set(current["owners"]) - set(removed))
    for user in removed:
        ops.append(Operation("remove_groups", (user, [name])))
    return ops, after


def ensure_group(adapter, spec, check_mode=False):
    roles = adapter.security_roles()
    want = normalize_group(spec, roles)
    warnings = []
    before = current_group(adapter, want["name"])
    if want.get("state", "present") == "present":
        refs = list(want.get("members") or []) + list(want.get("owners") or [])
        _check_refs(adapter.lookup_experimenter, refs, "user", "group {!r}".format(want["name"]), check_mode, warnings)
    ops, after = plan_group(before, want)
    _apply(adapter, ops, check_mode, ())
    return {
        "changed": bool(ops),
        "group": after,
        "operations": [op.describe() for op in ops],
        "warnings": warnings,
        "diff": {"before": before or {}, "after": after},
    }


# --- applying ---------------------------------------------------------------------------------


def _apply(adapter, ops, check_mode, secrets):
    if check_mode:
        return
    for op in ops:
        try:
            getattr(adapter, op.method)(*op.args)
        except OmeroError as exc:
            raise type(exc)(f"{op.describe(secrets)} failed: {redact(exc, secrets)}") from None
