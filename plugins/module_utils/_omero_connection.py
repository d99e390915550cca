# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connecting to OMERO.server with omero-py, the IAdmin adapter, and the run of an admin module.

omero-py (and the zeroc-ice it needs) is imported under a guard: the modules
report ``missing_required_lib('omero-py')`` when it is absent, and the
collection's sanity and unit tests run without it.
"""

from __future__ import annotations

import contextlib
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import (
    AdminAdapter,
    OmeroConnectionError,
    OmeroError,
    OmeroServerError,
    redact,
)
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import PORT, POSITIVE, fail_on_bad_options

try:
    import Glacier2
    import Ice
    import omero
    import omero.clients
    import omero.cmd
    from omero.rtypes import rbool, rstring, unwrap
    from omero_model_AdminPrivilegeI import AdminPrivilegeI
    from omero_model_ExperimenterGroupI import ExperimenterGroupI
    from omero_model_ExperimenterI import ExperimenterI
    from omero_model_PermissionsI import PermissionsI
except ImportError:
    HAS_OMERO = False
    OMERO_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_OMERO = True
    OMERO_IMPORT_ERROR = None

_FIELD_ATTRS = (
    ("first_name", "firstName"),
    ("middle_name", "middleName"),
    ("last_name", "lastName"),
    ("email", "email"),
    ("institution", "institution"),
)


def omero_connection_argument_spec():
    """Options shared by the OMERO modules (see doc_fragments/omero_connection.py)."""
    return dict(
        login_host=dict(type="str", default="localhost", fallback=(env_fallback, ["OMERO_HOST"])),
        login_port=dict(type="int", default=4064, fallback=(env_fallback, ["OMERO_PORT"])),
        login_user=dict(type="str", default="root", fallback=(env_fallback, ["OMERO_USER"])),
        login_password=dict(type="str", no_log=True, fallback=(env_fallback, ["OMERO_PASSWORD"])),
        login_session_key=dict(type="str", no_log=True, fallback=(env_fallback, ["OMERO_SESSION_KEY"])),
        login_group=dict(type="str"),
        login_secure=dict(type="bool", default=True),
        login_timeout=dict(type="int", default=10),
    )


# Domains of omero_connection_argument_spec()'s options (see _option_domains): a negative
# login_timeout would become an Ice override of minus that many milliseconds, i.e. no timeout.
CONNECTION_DOMAINS = {"login_port": PORT, "login_timeout": POSITIVE}


def connection_secrets(params):
    return [params.get("login_password"), params.get("login_session_key")]


def ensure_omero(module):
    if not HAS_OMERO:
        module.fail_json(msg=missing_required_lib("omero-py"), exception=OMERO_IMPORT_ERROR)


def run_admin_task(module, session_factory, ensure, spec, check_spec, secrets):
    """What omero_user and omero_group do once their arguments are parsed; exits the module.

    ``check_spec(spec)`` refuses a bad request before any connection is made, then
    ``ensure(adapter, spec, check_mode=...)`` runs over a session from ``session_factory(params)``
    and returns the module's result plus its ``warnings`` and ``diff``. Failures never show a secret.
    """
    fail_on_bad_options(module, CONNECTION_DOMAINS)
    try:
        check_spec(spec)
        with session_factory(module.params) as session:
            result = ensure(session.admin(), spec, check_mode=module.check_mode)
    except OmeroError as exc:
        module.fail_json(msg=redact(exc, secrets))
    except Exception as exc:
        module.fail_json(
            msg=redact(f"unexpected error: {type(exc).__name__}: {exc}", secrets),
            exception=redact(traceback.format_exc(), secrets),
        )
    for warning in result.pop("warnings"):
        module.warn(warning)
    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


class OmeroSession:
    """A logged-in omero.client; use as a context manager so it is always closed."""

    def __init__(self, params):
        self.params = params
        host = params["login_host"]
        self.where = host if "://" in host else "{}:{}".format(host, params["login_port"])
        self._clients = []
        self.client = None

    def _client(self, group=None):
        pmap = {"Ice.Override.ConnectTimeout": str(int(self.params.get("login_timeout") or 10) * 1000)}
        if group:
            pmap["omero.group"] = group
        host = self.params["login_host"]
        if "://" in host:
            # a URL (wss://host/omero-ws) carries its port, or its protocol's default one
            return omero.client(host=host, pmap=pmap)
        return omero.client(host=host, port=int(self.params["login_port"]), pmap=pmap)

    def _new_client(self):
        client = self._client(self.params.get("login_group"))
        client.setAgent("bioimage.omero")
        self._clients.append(client)
        return client

    def open(self):
        params = self.params
        if not params.get("login_password") and not params.get("login_session_key"):
            raise OmeroConnectionError("login_password (or OMERO_PASSWORD) or login_session_key is required")
        who = "session key" if params.get("login_session_key") else "user {!r}".format(params["login_user"])
        try:
            client = self._new_client()
            if params.get("login_session_key"):
                client.joinSession(params["login_session_key"])
            else:
                client.createSession(params["login_user"], params["login_password"])
            if not params.get("login_secure", True):
                client = client.createClient(secure=False)
                self._clients.append(client)
        except Exception as exc:
            self.close()
            message = redact(describe_login_error(exc, self.where, who), connection_secrets(params))
            raise OmeroConnectionError(message) from None
        self.client = client
        return self

    def check_password(self, name, password):
        """Try a login as ``name``; True when the server accepts the password."""
        client = self._client()
        try:
            client.createSession(name, password)
            return True
        except Glacier2.PermissionDeniedException:
            return False
        finally:
            client.closeSession()

    def close(self):
        while self._clients:
            client = self._clients.pop()
            # closing is best effort: the result of the task is already known
            with contextlib.suppress(Exception):
                client.closeSession()

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc_info):
        self.close()
        return False

    def admin(self):
        return IAdminAdapter(self.client, self.check_password)


def describe_login_error(exc, where, who):
    """A message saying what went wrong when logging in, in words a sysadmin can act on."""
    name = type(exc).__name__
    if HAS_OMERO:
        if isinstance(exc, Glacier2.PermissionDeniedException):
            return "OMERO.server at {} refused the login of {}: wrong user name, password or session key ({})".format(
                where,
                who,
                getattr(exc, "reason", "") or name,
            )
        if isinstance(exc, Glacier2.CannotCreateSessionException):
            return "OMERO.server at {} could not create a session for {}: {}".format(
                where,
                who,
                getattr(exc, "reason", "") or name,
            )
        if isinstance(exc, Ice.ConnectionRefusedException):
            return f"cannot reach OMERO.server at {where}: connection refused (is it running, and is this its port?)"
        if isinstance(exc, Ice.DNSException):
            return f"cannot reach OMERO.server at {where}: the host name does not resolve"
        if isinstance(exc, (Ice.ConnectTimeoutException, Ice.TimeoutException)):
            return f"cannot reach OMERO.server at {where}: connection timed out"
        if isinstance(exc, Ice.LocalException):
            return f"cannot reach OMERO.server at {where}: {name}"
        if isinstance(exc, omero.ServerError):
            return f"OMERO.server at {where} refused the login of {who}: {name}: {exc.message}"
    return f"cannot log in to OMERO.server at {where} as {who}: {name}: {exc}"


def _server_error(exc):
    if HAS_OMERO and isinstance(exc, omero.ServerError):
        return OmeroServerError(f"{type(exc).__name__}: {exc.message}")
    if HAS_OMERO and isinstance(exc, omero.CmdError):
        err = exc.err
        return OmeroServerError(
            "{} {} {}".format(getattr(err, "category", ""), getattr(err, "name", ""), getattr(err, "parameters", ""))
        )
    return OmeroServerError(f"{type(exc).__name__}: {exc}")


class IAdminAdapter(AdminAdapter):
    """AdminAdapter over omero.api.IAdmin."""

    def __init__(self, client, check_password):
        self._client = client
        self._admin = client.getSession().getAdminService()
        self._check_password = check_password
        self._roles = None
        self._builtin_ids = {}

    # reads

    def security_roles(self):
        if self._roles is None:
            roles = self._call(self._admin.getSecurityRoles)
            self._roles = {
                "system_group": roles.systemGroupName,
                "user_group": roles.userGroupName,
                "guest_group": roles.guestGroupName,
                "root": roles.rootName,
                "guest": roles.guestName,
            }
            # built-in groups by id: looking up "user" would load every account of the server
            self._builtin_ids = {
                roles.systemGroupName: roles.systemGroupId,
                roles.userGroupName: roles.userGroupId,
                roles.guestGroupName: roles.guestGroupId,
            }
        return self._roles

    def _experimenter(self, name):
        try:
            return self._admin.lookupExperimenter(name)
        except omero.ApiUsageException:
            return None
        except Exception as exc:
            raise _server_error(exc) from None

    def _group(self, name):
        try:
            return self._admin.lookupGroup(name)
        except omero.ApiUsageException:
            return None
        except Exception as exc:
            raise _server_error(exc) from None

    def lookup_experimenter(self, name):
        exp = self._experimenter(name)
        if exp is None:
            return None
        groups, owner_of = [], []
        for link in exp.copyGroupExperimenterMap():
            if link is None:
                continue
            group = unwrap(link.parent.name)
            groups.append(group)
            if unwrap(link.owner):
                owner_of.append(group)
        try:
            default = unwrap(self._admin.getDefaultGroup(exp.id.val).name)
        except omero.ValidationException:
            default = None
        user = {"name": unwrap(exp.omeName), "ldap": bool(unwrap(exp.ldap))}
        for field, attr in _FIELD_ATTRS:
            user[field] = unwrap(getattr(exp, attr)) or None
        user.update(groups=groups, owner_of=owner_of, default_group=default)
        return user

    def get_admin_privileges(self, name):
        exp = self._experimenter(name)
        privileges = self._call(self._admin.getAdminPrivileges, ExperimenterI(exp.id.val, False))
        return [unwrap(p.getValue()) for p in privileges]

    def lookup_group(self, name):
        grp = self._group(name)
        if grp is None:
            return None
        members, owners = [], []
        for link in grp.copyGroupExperimenterMap():
            if link is None:
                continue
            login = unwrap(link.child.omeName)
            members.append(login)
            if unwrap(link.owner):
                owners.append(login)
        return {
            "name": unwrap(grp.name),
            "description": unwrap(grp.description) or None,
            "permissions": str(grp.details.permissions),
            "members": members,
            "owners": owners,
        }

    def check_password(self, name, password):
        return self._check_password(name, password)

    # helpers

    def _call(self, func, *args):
        try:
            return func(*args)
        except Exception as exc:
            raise _server_error(exc) from None

    def _user_ref(self, name):
        exp = self._experimenter(name)
        if exp is None:
            raise OmeroServerError(f"no OMERO user {name!r}")
        return ExperimenterI(exp.id.val, False)

    def _group_ref(self, name):
        self.security_roles()
        if name in self._builtin_ids:
            return ExperimenterGroupI(self._builtin_ids[name], False)
        grp = self._group(name)
        if grp is None:
            raise OmeroServerError(f"no OMERO group {name!r}")
        return ExperimenterGroupI(grp.id.val, False)

    @staticmethod
    def _new_experimenter(user):
        exp = ExperimenterI()
        exp.omeName = rstring(user["name"])
        for field, attr in _FIELD_ATTRS:
            value = user.get(field)
            setattr(exp, attr, rstring(value) if value is not None else None)
        exp.ldap = rbool(False)
        return exp

    @staticmethod
    def _privileges(names):
        privileges = []
        for name in names:
            privilege = AdminPrivilegeI()
            privilege.setValue(rstring(name))
            privileges.append(privilege)
        return privileges

    # writes (see _omero_admin.WRITE_CALLS)

    def create_experimenter_with_password(self, user, password, default_group, groups):
        exp = self._new_experimenter(user)
        return self._call(
            self._admin.createExperimenterWithPassword,
            exp,
            rstring(password),
            self._group_ref(default_group),
            [self._group_ref(g) for g in groups],
        )

    def create_restricted_system_user_with_password(self, user, privileges, password):
        exp = self._new_experimenter(user)
        return self._call(
            self._admin.createRestrictedSystemUserWithPassword, exp, self._privileges(privileges), rstring(password)
        )

    def update_experimenter(self, name, user):
        exp = self._experimenter(name)
        for field, attr in _FIELD_ATTRS:
            value = user.get(field)
            setattr(exp, attr, rstring(value) if value is not None else None)
        self._call(self._admin.updateExperimenter, exp)

    def change_user_password(self, name, password):
        self._call(self._admin.changeUserPassword, name, rstring(password))

    def set_admin_privileges(self, name, privileges):
        self._call(self._admin.setAdminPrivileges, self._user_ref(name), self._privileges(privileges))

    def add_groups(self, name, groups):
        self._call(self._admin.addGroups, self._user_ref(name), [self._group_ref(g) for g in groups])

    def remove_groups(self, name, groups):
        self._call(self._admin.removeGroups, self._user_ref(name), [self._group_ref(g) for g in groups])

    def set_default_group(self, name, group):
        self._call(self._admin.setDefaultGroup, self._user_ref(name), self._group_ref(group))

    def add_group_owners(self, group, users):
        self._call(self._admin.addGroupOwners, self._group_ref(group), [self._user_ref(u) for u in users])

    def remove_group_owners(self, group, users):
        self._call(self._admin.removeGroupOwners, self._group_ref(group), [self._user_ref(u) for u in users])

    def create_group(self, group):
        grp = ExperimenterGroupI()
        grp.name = rstring(group["name"])
        grp.description = rstring(group["description"]) if group.get("description") else None
        grp.ldap = rbool(False)
        grp.details.permissions = PermissionsI(group["permissions"])
        return self._call(self._admin.createGroup, grp)

    def update_group(self, name, group):
        grp = self._group(name)
        grp.description = rstring(group["description"]) if group.get("description") else None
        # as OMERO.web does: the loaded group, its permissions unchanged (chmod_group changes them)
        self._call(self._admin.updateGroup, grp)

    def chmod_group(self, name, permissions):
        grp = self._group(name)
        chmod = omero.cmd.Chmod2(targetObjects={"ExperimenterGroup": [grp.id.val]}, permissions=permissions)
        # Chmod2 is a graph request: it may take a while on a large group
        self._call(self._client.submit, chmod, 120, 500)

    def delete_group(self, name):
        self._call(self._admin.deleteGroup, self._group_ref(name))
