# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a group is planned: permission levels (and downgrades), current state, the IAdmin calls."""

from __future__ import annotations

import collections

from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import (
    OmeroInputError,
    Operation,
    apply_operations,
    check_refs,
)

# Group permission levels and OMERO's permission strings (omero.plugins.group).
PERMISSION_LEVELS = collections.OrderedDict(
    [("private", "rw----"), ("read-only", "rwr---"), ("read-annotate", "rwra--"), ("read-write", "rwrw--")]
)
_LEVEL_OF_STRING = {v: k for k, v in PERMISSION_LEVELS.items()}
_RANK = {level: rank for rank, level in enumerate(PERMISSION_LEVELS)}


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
        check_refs(adapter.lookup_experimenter, refs, "user", "group {!r}".format(want["name"]), check_mode, warnings)
    ops, after = plan_group(before, want)
    apply_operations(adapter, ops, check_mode, ())
    return {
        "changed": bool(ops),
        "group": after,
        "operations": [op.describe() for op in ops],
        "warnings": warnings,
        "diff": {"before": before or {}, "after": after},
    }
