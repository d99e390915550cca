# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How OmeroSession reports login failures, without omero-py installed.

omero-py needs a zeroc-ice built for this Python, which the unit-test venv does
not have; these tests put stand-ins for the exception classes omero-py raises
(Glacier2.PermissionDeniedException, Ice.ConnectionRefusedException, ...) into
the module and drive the real OmeroSession code. The live test in
tests/integration/ runs the same code against a real server.
"""

from __future__ import annotations

import types
import typing

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _omero_connection as conn
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import OmeroConnectionError

PW = "Ro0t-pw-of-the-server"
KEY = "0a1b2c3d-session-key-4e5f"


class LocalException(Exception):
    pass


class ConnectionRefusedException(LocalException):
    pass


class DNSException(LocalException):
    pass


class ConnectTimeoutException(LocalException):
    pass


class TimeoutException(LocalException):
    pass


class SocketException(LocalException):
    pass


class PermissionDeniedException(Exception):
    def __init__(self, reason=""):
        super().__init__(reason)
        self.reason = reason


class CannotCreateSessionException(PermissionDeniedException):
    pass


class ServerError(Exception):
    def __init__(self, message=""):
        super().__init__(message)
        self.message = message


class FakeClient:
    raise_on_login = None  # the exception the next logins raise
    instances: typing.ClassVar[list] = []

    def __init__(self, host=None, port=None, pmap=None):
        self.host, self.port, self.pmap = host, port, pmap
        self.logins = []
        self.closed = False
        FakeClient.instances.append(self)

    def setAgent(self, agent):
        self.agent = agent

    def _maybe_fail(self):
        errors = [e for e in [type(self).raise_on_login] if isinstance(e, BaseException)]
        for error in errors:
            raise error

    def createSession(self, user, password):
        self.logins.append(("password", user))
        self._maybe_fail()

    def joinSession(self, key):
        self.logins.append(("key", None))
        self._maybe_fail()

    def closeSession(self):
        self.closed = True


@pytest.fixture
def stand_ins(monkeypatch):
    FakeClient.instances = []
    FakeClient.raise_on_login = None
    ice = types.SimpleNamespace(
        LocalException=LocalException,
        ConnectionRefusedException=ConnectionRefusedException,
        DNSException=DNSException,
        ConnectTimeoutException=ConnectTimeoutException,
        TimeoutException=TimeoutException,
    )
    glacier2 = types.SimpleNamespace(
        PermissionDeniedException=PermissionDeniedException,
        CannotCreateSessionException=CannotCreateSessionException,
    )
    omero = types.SimpleNamespace(client=FakeClient, ServerError=ServerError)
    monkeypatch.setattr(conn, "HAS_OMERO", True)
    monkeypatch.setattr(conn, "Ice", ice, raising=False)
    monkeypatch.setattr(conn, "Glacier2", glacier2, raising=False)
    monkeypatch.setattr(conn, "omero", omero, raising=False)
    return FakeClient


def params(**kw):
    p = {
        "login_host": "omero.example.org",
        "login_port": 4064,
        "login_user": "root",
        "login_password": PW,
        "login_session_key": None,
        "login_group": None,
        "login_secure": True,
        "login_timeout": 7,
    }
    p.update(kw)
    return p


def test_login_with_password(stand_ins):
    with conn.OmeroSession(params(login_group="system")) as session:
        client = session.client
        assert client.logins == [("password", "root")]
        assert client.host == "omero.example.org"
        assert client.port == 4064
        assert client.pmap == {"Ice.Override.ConnectTimeout": "7000", "omero.group": "system"}
    assert client.closed


def test_websocket_url_carries_its_own_port(stand_ins):
    with conn.OmeroSession(params(login_host="wss://omero.example.org/omero-ws")) as session:
        assert (session.client.host, session.client.port) == ("wss://omero.example.org/omero-ws", None)
    stand_ins.raise_on_login = ConnectionRefusedException()
    url = r"wss://omero\.example\.org/omero-ws"
    with pytest.raises(OmeroConnectionError, match=rf"^cannot reach OMERO\.server at {url}: connection refused"):
        conn.OmeroSession(params(login_host="wss://omero.example.org/omero-ws")).open()


def test_login_with_session_key(stand_ins):
    with conn.OmeroSession(params(login_password=None, login_session_key=KEY)) as session:
        assert session.client.logins == [("key", None)]


def test_no_credentials(stand_ins):
    with pytest.raises(OmeroConnectionError, match=r"login_password \(or OMERO_PASSWORD\) or login_session_key"):
        conn.OmeroSession(params(login_password=None)).open()


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            PermissionDeniedException(f"Password check failed for 'root' with {PW}"),
            "OMERO.server at omero.example.org:4064 refused the login of user 'root':"
            " wrong user name, password or session key (Password check failed for 'root' with ********)",
        ),
        (
            ConnectionRefusedException(),
            "cannot reach OMERO.server at omero.example.org:4064: connection refused"
            " (is it running, and is this its port?)",
        ),
        (DNSException(), "cannot reach OMERO.server at omero.example.org:4064: the host name does not resolve"),
        (ConnectTimeoutException(), "cannot reach OMERO.server at omero.example.org:4064: connection timed out"),
        (SocketException(), "cannot reach OMERO.server at omero.example.org:4064: SocketException"),
        (
            ServerError("user not in group 'system'"),
            "OMERO.server at omero.example.org:4064 refused the login of user 'root': ServerError:"
            " user not in group 'system'",
        ),
    ],
    ids=["wrong-password", "refused", "dns", "timeout", "socket", "server-error"],
)
def test_login_errors_say_what_is_wrong(stand_ins, exc, expected):
    stand_ins.raise_on_login = exc
    with pytest.raises(OmeroConnectionError) as err:
        conn.OmeroSession(params()).open()
    assert str(err.value) == expected
    assert PW not in str(err.value)
    assert all(c.closed for c in stand_ins.instances)


def test_session_key_is_never_echoed(stand_ins):
    stand_ins.raise_on_login = PermissionDeniedException(f"no session {KEY}")
    with pytest.raises(OmeroConnectionError) as err:
        conn.OmeroSession(params(login_password=None, login_session_key=KEY)).open()
    assert "refused the login of session key" in str(err.value)
    assert KEY not in str(err.value)


def test_check_password_is_a_login_attempt(stand_ins):
    session = conn.OmeroSession(params())
    assert session.check_password("jdoe", "pw") is True
    stand_ins.raise_on_login = PermissionDeniedException("bad")
    assert session.check_password("jdoe", "wrong") is False
    assert [c.logins for c in stand_ins.instances] == [[("password", "jdoe")], [("password", "jdoe")]]
    assert all(c.closed for c in stand_ins.instances)


def test_argument_spec_secrets_and_fallbacks():
    spec = conn.omero_connection_argument_spec()
    assert spec["login_password"]["no_log"] is True
    assert spec["login_session_key"]["no_log"] is True
    assert spec["login_password"]["fallback"][1] == ["OMERO_PASSWORD"]
    assert spec["login_port"]["default"] == 4064
