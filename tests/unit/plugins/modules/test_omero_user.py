# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_user as a module: arguments, results, errors, and no password in any output.

The OMERO side is the recording fake of tests/unit/plugins/module_utils/omero_fake_admin.py.
"""

from __future__ import annotations

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _omero_connection
from ansible_collections.bioimage.omero.plugins.modules import omero_user
from ansible_collections.bioimage.omero.tests.unit.plugins.module_utils.omero_fake_admin import ROOT_PASSWORD, FakeAdmin
from ansible_collections.bioimage.omero.tests.unit.plugins.modules import module_runner

USER_PW = "Us3r-pw-never-shown"


def run_module(args, capsys, fake=None, error=None, check=False, diff=False):
    return module_runner.run_with_fake_admin(
        omero_user, args, capsys, fake, error, check, diff, secrets=[ROOT_PASSWORD, USER_PW]
    )


@pytest.fixture
def fake():
    fake = FakeAdmin()
    fake.add_group("smith-lab", "rwra--")
    return fake


def base(**kw):
    args = {
        "login_password": ROOT_PASSWORD,
        "name": "jdoe",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.org",
        "password": USER_PW,
        "groups": ["smith-lab"],
    }
    args.update(kw)
    return args


def test_create_then_no_change(fake, capsys):
    first = run_module(base(), capsys, fake, diff=True)
    assert first["rc"] == 0
    assert first["changed"]
    assert first["user"]["default_group"] == "smith-lab"
    assert first["password_changed"]
    assert first["diff"]["before"] == {}
    assert first["diff"]["after"]["email"] == "jane@example.org"
    assert first["session"].params["login_user"] == "root"
    assert first["session"].closed
    second = run_module(base(), capsys, fake, diff=True)
    assert not second["changed"]
    assert second["operations"] == []
    assert second["diff"]["before"] == second["diff"]["after"]


def test_update_with_diff(fake, capsys):
    run_module(base(), capsys, fake)
    out = run_module(base(institution="Example Institute", active=False), capsys, fake, diff=True)
    assert out["changed"]
    assert out["diff"]["before"]["institution"] is None
    assert out["diff"]["after"]["institution"] == "Example Institute"
    assert out["diff"]["after"]["active"] is False
    assert out["operations"] == [
        "IAdmin.updateExperimenter('jdoe', {'first_name': 'Jane', 'middle_name': None, 'last_name': 'Doe',"
        " 'email': 'jane@example.org', 'institution': 'Example Institute'})",
        "IAdmin.removeGroups('jdoe', ['user'])",
    ]


def test_no_diff_unless_asked(fake, capsys):
    assert "diff" not in run_module(base(), capsys, fake)


def test_check_mode_makes_no_writing_call(fake, capsys):
    out = run_module(base(admin_type="restricted", privilege_preset="platform_admin"), capsys, fake, check=True)
    assert out["changed"]
    assert out["operations"][0].startswith("IAdmin.createRestrictedSystemUserWithPassword(")
    assert fake.write_calls() == []
    assert "jdoe" not in fake.users


def test_update_password_always(fake, capsys):
    run_module(base(), capsys, fake)
    fake.passwords["jdoe"] = "something-else"
    out = run_module(base(update_password="always"), capsys, fake)
    assert out["changed"]
    assert out["password_changed"]
    assert out["operations"] == ["IAdmin.changeUserPassword('jdoe', '********')"]
    assert fake.passwords["jdoe"] == USER_PW
    assert not run_module(base(update_password="always"), capsys, fake)["changed"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"admin_type": "restricted", "privileges": ["Sudo", "ReadSession"]}, "ReadSession is refused"),
        ({"admin_type": "restricted", "privileges": ["Sudo", "DeleteEverything"]}, "'DeleteEverything'"),
        ({"admin_type": "restricted"}, "needs privileges or a privilege_preset"),
        ({"privileges": ["Sudo"]}, "need admin_type: restricted"),
        ({"admin_type": "full", "privilege_preset": "platform_admin"}, "apply only to admin_type restricted"),
    ],
)
def test_privilege_errors_fail_before_connecting(fake, capsys, kw, message):
    out = run_module(base(**kw), capsys, fake)
    assert out["rc"] == 1
    assert out["failed"]
    assert message in out["msg"]
    assert out["session"].params is None  # never connected
    assert fake.calls == []


def test_wrong_credentials(fake, capsys):
    error = "OMERO.server at localhost:4064 refused the login of user 'root': wrong user name, password or session key"
    out = run_module(base(), capsys, fake, error=error)
    assert out["failed"]
    assert out["msg"] == error


def test_unreachable_server(fake, capsys):
    error = (
        "cannot reach OMERO.server at omero.example.org:4064: connection refused (is it running, and is this its port?)"
    )
    out = run_module(base(login_host="omero.example.org"), capsys, fake, error=error)
    assert out["failed"]
    assert "cannot reach OMERO.server at omero.example.org:4064" in out["msg"]


def test_input_errors_name_what_is_wrong(fake, capsys):
    out = run_module(base(groups=["smith-lab", "ghost-lab"]), capsys, fake)
    assert out["failed"]
    assert "ghost-lab" in out["msg"]
    out = run_module(base(password=None), capsys, fake)
    assert "creating it needs password" in out["msg"]


def test_server_error_text_is_redacted(fake, capsys):
    def boom(*args):
        raise RuntimeError(f"internal error while handling {USER_PW} and {ROOT_PASSWORD}")

    fake.create_experimenter_with_password = boom
    out = run_module(base(), capsys, fake)  # run_module asserts no password in the raw output
    assert out["failed"]
    assert "unexpected error: RuntimeError: internal error while handling ******** and ********" in out["msg"]
    assert not any("Module did not set no_log" in str(w) for w in out.get("warnings", []))


def test_password_option_is_no_log():
    spec = omero_user.argument_spec()
    assert spec["password"]["no_log"] is True
    assert spec["login_password"]["no_log"] is True
    assert spec["login_session_key"]["no_log"] is True


def test_without_omero_py_the_module_says_so(capsys, monkeypatch):
    monkeypatch.setattr(_omero_connection, "HAS_OMERO", False)
    monkeypatch.setattr(_omero_connection, "OMERO_IMPORT_ERROR", "ImportError: No module named 'omero'")
    out = module_runner.run_module(omero_user, base(), capsys)
    assert out["rc"] == 1
    assert "omero-py" in out["msg"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("login_port", 70000, "login_port must be a TCP port number from 1 to 65535, got 70000"),
        ("login_port", 0, "login_port must be a TCP port number from 1 to 65535, got 0"),
        ("login_timeout", -5, "login_timeout must be a number of seconds greater than 0, got -5"),
        ("login_timeout", 0, "login_timeout must be a number of seconds greater than 0, got 0"),
    ],
)
def test_connection_options_outside_their_domain_are_refused_before_connecting(fake, capsys, option, value, message):
    out = run_module(base(**{option: value}), capsys, fake)
    assert out["rc"] == 1
    assert out["msg"] == message
    assert out["session"].params is None, "the module connected before checking its options"
    assert fake.write_calls() == []
