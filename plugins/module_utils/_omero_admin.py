# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adapter contract between the user and group planners and OMERO, and what they share.

Nothing here imports omero-py. The planners (``_omero_admin_user``, ``_omero_admin_group``) talk
to OMERO through an *adapter* (see :class:`AdminAdapter`) whose write methods mirror OMERO's
IAdmin calls one to one; ``_omero_connection.IAdminAdapter`` implements it over omero-py, and the
unit tests implement it with a fake that records every call.

Users and groups are described as plain dicts, so results and diffs are data.
A password is never put into a returned value, a diff or an exception text.
"""

from __future__ import annotations

import collections

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


def check_refs(lookup, names, kind, what, check_mode, warnings):
    """Refuse names ``lookup`` does not find; in check mode only warn (an earlier task may create them)."""
    missing = sorted(n for n in set(names) if lookup(n) is None)
    if not missing:
        return
    msg = "{} name(s) {}(s) that do not exist: {}".format(what, kind, ", ".join(missing))
    if check_mode:
        warnings.append(msg + " (check mode: assuming an earlier task creates them)")
    else:
        raise OmeroInputError(msg)


def apply_operations(adapter, ops, check_mode, secrets):
    if check_mode:
        return
    for op in ops:
        try:
            getattr(adapter, op.method)(*op.args)
        except OmeroError as exc:
            raise type(exc)(f"{op.describe(secrets)} failed: {redact(exc, secrets)}") from None
