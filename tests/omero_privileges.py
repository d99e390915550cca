# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OMERO's administrator privileges as the tests expect them, written apart from the code under test.

Imported by the unit tests and by the live integration test.
"""

from __future__ import annotations

# The values of OMERO's AdminPrivilege enumeration (OMERO 5.4+), sorted.
OMERO_PRIVILEGES = [
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
]

# What both France-BioImaging presets (platform_admin, group_admin) grant: all but ReadSession, sorted.
FBI_PLAN_PRIVILEGES = [name for name in OMERO_PRIVILEGES if name != "ReadSession"]
