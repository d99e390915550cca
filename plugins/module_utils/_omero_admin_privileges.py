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
PRESETS = {"platform_admin": _FBI_PLAN, "group_admin": _FBI_PLAN}

ADMIN_TYPES = ("none", "restricted", "full")


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
