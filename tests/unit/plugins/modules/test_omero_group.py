# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_group as a module, against the recording fake admin service."""

from __future__ import annotations

import pytest
from ansible_collections.bioimage.omero.plugins.modules import omero_group
from ansible_collections.bioimage.omero.tests.unit.plugins.module_utils.omero_fake_admin import ROOT_PASSWORD, FakeAdmin
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_with_fake_admin


def run_module(args, capsys, fake=None, error=None, check=False, diff=False):
    args = dict(args, login_password=ROOT_PASSWORD)
    return run_with_fake_admin(omero_group, args, capsys, fake, error, check, diff, secrets=[ROOT_PASSWORD])


@pytest.fixture
def fake():
    fake = FakeAdmin()
    fake.add_user("asmith", ["user"])
    fake.users["asmith"]["groups"].insert(0, "system")  # an admin without a lab yet
    fake.add_user("jdoe", ["user"])
    fake.calls.clear()
    return fake


def test_create_then_no_change(fake, capsys):
    args = {"name": "smith-lab", "permissions": "read-annotate", "owners": ["asmith"], "members": ["jdoe"]}
    first = run_module(args, capsys, fake, diff=True)
    assert first["changed"]
    assert first["group"] == {
        "name": "smith-lab",
        "description": None,
        "permissions": "read-annotate",
        "members": ["asmith", "jdoe"],
        "owners": ["asmith"],
    }
    assert first["diff"]["before"] == {}
    assert fake.groups["smith-lab"]["permissions"] == "rwra--"
    second = run_module(args, capsys, fake, diff=True)
    assert not second["changed"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_permission_string_accepted(fake, capsys):
    out = run_module({"name": "public-data", "permissions": "rwr---"}, capsys, fake)
    assert out["group"]["permissions"] == "read-only"
    assert not run_module({"name": "public-data", "permissions": "read-only"}, capsys, fake)["changed"]


def test_bad_level_is_refused_by_the_argument_spec(fake, capsys):
    out = run_module({"name": "x", "permissions": "public"}, capsys, fake)
    assert out["failed"]
    assert "permissions" in out["msg"]
    assert "public" in out["msg"]
    assert out["session"].params is None


def test_downgrade_needs_allow(fake, capsys):
    fake.add_group("lab", "rwrw--")
    out = run_module({"name": "lab", "permissions": "read-only"}, capsys, fake)
    assert out["failed"]
    assert "group 'lab' is read-write (rwrw--); changing it to read-only (rwr---) is a downgrade" in out["msg"]
    assert fake.write_calls() == []
    out = run_module({"name": "lab", "permissions": "read-only", "allow_downgrade": True}, capsys, fake, diff=True)
    assert out["changed"]
    assert out["operations"] == ["omero.cmd.Chmod2('lab', 'rwr---')"]
    assert (out["diff"]["before"]["permissions"], out["diff"]["after"]["permissions"]) == ("read-write", "read-only")


def test_downgrade_refused_by_omero(fake, capsys):
    fake.add_group("lab", "rwra--")
    fake.refuse_chmod["lab"] = "CmdError: graph-fail: cannot separate the data of different users"
    out = run_module({"name": "lab", "permissions": "private", "allow_downgrade": True}, capsys, fake)
    assert out["failed"]
    assert "omero.cmd.Chmod2('lab', 'rw----') failed: CmdError" in out["msg"]


def test_check_mode_makes_no_writing_call(fake, capsys):
    fake.add_group("lab", "rwra--")
    out = run_module(
        {"name": "lab", "permissions": "read-write", "members": ["jdoe"], "description": "d"}, capsys, fake, check=True
    )
    assert out["changed"]
    assert len(out["operations"]) == 3
    assert fake.write_calls() == []


def test_absent(fake, capsys):
    fake.add_group("old", "rw----")
    assert run_module({"name": "old", "state": "absent"}, capsys, fake)["changed"]
    assert "old" not in fake.groups
    assert not run_module({"name": "old", "state": "absent"}, capsys, fake)["changed"]


def test_builtin_group_refused(fake, capsys):
    out = run_module({"name": "user", "members": []}, capsys, fake)
    assert out["failed"]
    assert "built-in groups" in out["msg"]
    assert fake.write_calls() == []


def test_unknown_member(fake, capsys):
    out = run_module({"name": "lab", "members": ["nobody"]}, capsys, fake)
    assert out["failed"]
    assert "nobody" in out["msg"]


def test_unreachable(fake, capsys):
    out = run_module(
        {"name": "lab"}, capsys, fake, error="cannot reach OMERO.server at localhost:4064: connection refused"
    )
    assert out["failed"]
    assert out["msg"].startswith("cannot reach OMERO.server at localhost:4064")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("login_port", 65536, "login_port must be a TCP port number from 1 to 65535, got 65536"),
        ("login_timeout", -1, "login_timeout must be a number of seconds greater than 0, got -1"),
    ],
)
def test_connection_options_outside_their_domain_are_refused_before_connecting(fake, capsys, option, value, message):
    out = run_module({"name": "lab", option: value}, capsys, fake)
    assert out["rc"] == 1
    assert out["msg"] == message
    assert out["session"].params is None
