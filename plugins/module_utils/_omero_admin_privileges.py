# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OMERO's administrator privileges, the presets and what a task's admin_type resolves to."""

from __future__ import annotations

import collections

from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import OmeroInputError

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

# Restricted-administrator presets. OMERO's privileges are server-wide: none of them stops at a
# group (Sudo acts as any user, ModifyUser edits every user, WriteScriptRepo publishes scripts every
# user runs...). So only the platform's administrators get the plan's list; a group admin is, in
# OMERO's own model, the *owner* of their groups, with no privilege at all (GROUP_OWNER_PRESETS).
# group_admin_server_wide is the plan's list for a group admin, for sites that accept a server-wide
# administrator per group; the module warns every time it is used.
PRESETS = {"platform_admin": _FBI_PLAN, "group_admin_server_wide": _FBI_PLAN}
GROUP_OWNER_PRESETS = ("group_admin",)
SERVER_WIDE_GROUP_ADMIN_WARNING = (
    "privilege_preset group_admin_server_wide makes {name!r} a server-wide restricted administrator (the"
    " France-BioImaging plan's list): Sudo lets them act as any user of the whole server, ModifyUser and"
    " ModifyGroupMembership reach every user and group, WriteScriptRepo publishes scripts every user runs."
    " privilege_preset group_admin (owner of their groups, no privilege) is what OMERO gives a group admin"
)

ADMIN_TYPES = ("none", "restricted", "full")


def resolve_admin(admin_type, privileges=None, preset=None):
    """Return (admin_type, sorted privileges) for what a task asked.

    ``admin_type`` none: no privileges; full: every privilege; restricted: the
    union of ``preset`` and ``privileges``, which must not contain ReadSession.
    The group owner preset (group_admin) resolves to none, and only goes with none.
    """
    if admin_type not in ADMIN_TYPES:
        raise OmeroInputError("admin_type must be one of {}, got {!r}".format(", ".join(ADMIN_TYPES), admin_type))
    privileges = list(privileges or [])
    if preset in GROUP_OWNER_PRESETS:
        if admin_type != "none" or privileges:
            raise OmeroInputError(
                f"privilege_preset {preset} is a group owner with no administrator privilege (OMERO's privileges"
                f" apply to every group of the server): use it with admin_type none (or no admin_type) and"
                f" owner_of, without privileges (got admin_type {admin_type}, privileges {privileges}). For the"
                f" France-BioImaging plan's list, a server-wide administrator, use admin_type restricted with"
                f" privilege_preset group_admin_server_wide"
            )
        return "none", ()
    if admin_type != "restricted":
        if privileges or preset:
            raise OmeroInputError(
                f"privileges and privilege_preset apply only to admin_type restricted (admin_type is {admin_type})"
            )
        return admin_type, tuple(PRIVILEGES) if admin_type == "full" else ()
    if preset is not None and preset not in PRESETS:
        raise OmeroInputError(
            "unknown privilege_preset {!r}: use one of {}".format(
                preset, ", ".join(sorted((*PRESETS, *GROUP_OWNER_PRESETS)))
            )
        )
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


def resolve_request(admin_type, privileges=None, preset=None, owner_of=None):
    """What a task's admin options resolve to: (admin_type, privileges), (None, None) when left as they are.

    The group owner preset needs ``owner_of`` (the groups the person looks after).
    """
    if preset in GROUP_OWNER_PRESETS:
        if not owner_of:
            raise OmeroInputError(
                f"privilege_preset {preset} makes the user the owner of the group(s) they look after: set owner_of"
            )
        return resolve_admin(admin_type or "none", privileges, preset)
    if admin_type is not None:
        return resolve_admin(admin_type, privileges, preset)
    if privileges or preset:
        raise OmeroInputError("privileges and privilege_preset need admin_type: restricted")
    return None, None
