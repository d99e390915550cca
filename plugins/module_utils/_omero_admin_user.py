# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a user is planned: its current state, the wanted state checked, the IAdmin calls between them."""

from __future__ import annotations

from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import (
    OmeroError,
    OmeroInputError,
    Operation,
    apply_operations,
    check_refs,
    redact,
)
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_privileges import (
    PRIVILEGES,
    SERVER_WIDE_GROUP_ADMIN_WARNING,
    resolve_request,
)

USER_FIELDS = ("first_name", "middle_name", "last_name", "email", "institution")


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
    admin_type, privileges = resolve_request(
        want.get("admin_type"), want.get("privileges"), want.get("privilege_preset"), want.get("owner_of")
    )
    if admin_type is not None:
        want["admin_type"], want["privileges"] = admin_type, privileges
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
        if spec.get("privilege_preset") == "group_admin_server_wide":
            warnings.append(SERVER_WIDE_GROUP_ADMIN_WARNING.format(name=want["name"]))
        before = current_user(adapter, want["name"], roles)
        refs = list(want.get("groups") or []) + list(want.get("owner_of") or [])
        if want.get("default_group") and want["default_group"] != roles["system_group"]:
            refs.append(want["default_group"])
        check_refs(adapter.lookup_group, refs, "group", "user {!r}".format(want["name"]), check_mode, warnings)
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
        apply_operations(adapter, ops, check_mode, secrets)
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
