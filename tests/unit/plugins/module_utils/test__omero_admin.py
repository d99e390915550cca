# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired-state logic for users and groups, driven against a fake IAdmin that records calls."""

from __future__ import annotations

import json
import os
import re

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _omero_admin as admin
from ansible_collections.bioimage.omero.plugins.module_utils import _omero_admin_group as group_planner
from ansible_collections.bioimage.omero.plugins.module_utils import _omero_admin_privileges as admin_privileges
from ansible_collections.bioimage.omero.plugins.module_utils import _omero_admin_user as user_planner
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin import OmeroInputError, OmeroServerError
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_group import ensure_group
from ansible_collections.bioimage.omero.plugins.module_utils._omero_admin_user import ensure_user
from ansible_collections.bioimage.omero.tests.omero_privileges import FBI_PLAN_PRIVILEGES, OMERO_PRIVILEGES
from ansible_collections.bioimage.omero.tests.unit.plugins.module_utils.omero_fake_admin import FakeAdmin

NEW_PW = "Fr3sh-p4ssw0rd-for-jdoe"
OLD_PW = "0ld-p4ssw0rd-of-jdoe"


def jdoe(**kw):
    spec = {
        "name": "jdoe",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.org",
        "institution": "Example Institute",
        "password": NEW_PW,
        "update_password": "on_create",
        "groups": ["lab"],
        "default_group": "lab",
    }
    spec.update(kw)
    return spec


@pytest.fixture
def fake():
    fake = FakeAdmin()
    fake.add_group("lab", "rwra--")
    fake.add_group("other", "rwr---")
    return fake


@pytest.fixture
def with_jdoe(fake):
    fake.add_user(
        "jdoe",
        ["lab", "user"],
        password=OLD_PW,
        first_name="Jane",
        last_name="Doe",
        email="jane@example.org",
        institution="Example Institute",
    )
    fake.calls.clear()
    return fake


def assert_no_secret(result, *secrets):
    text = json.dumps(result, default=str)
    for secret in secrets:
        assert secret not in text


# --- privileges --------------------------------------------------------------------------------


def test_privilege_names_are_omeros_fifteen():
    assert sorted(admin_privileges.PRIVILEGES) == OMERO_PRIVILEGES


@pytest.mark.parametrize("preset", ["platform_admin", "group_admin_server_wide"])
def test_presets_resolve_to_the_fbi_plan_privileges(preset):
    assert admin_privileges.resolve_admin("restricted", None, preset) == ("restricted", tuple(FBI_PLAN_PRIVILEGES))
    assert "ReadSession" not in admin_privileges.PRESETS[preset]


def test_preset_and_extra_privileges_are_united():
    kind, privileges = admin_privileges.resolve_admin("restricted", ["Sudo", "Chown"], None)
    assert (kind, privileges) == ("restricted", ("Chown", "Sudo"))


def test_full_admin_has_every_privilege_and_none_has_none():
    assert admin_privileges.resolve_admin("full") == ("full", admin_privileges.PRIVILEGES)
    assert admin_privileges.resolve_admin("none") == ("none", ())


@pytest.mark.parametrize(
    ("privileges", "preset"),
    [(["ReadSession"], None), (["ReadSession"], "platform_admin"), (["Sudo", "ReadSession"], None)],
)
def test_read_session_refused_for_restricted_admin(privileges, preset):
    with pytest.raises(OmeroInputError, match="ReadSession is refused for a restricted administrator"):
        admin_privileges.resolve_admin("restricted", privileges, preset)


def test_unknown_privilege_is_named():
    with pytest.raises(OmeroInputError) as err:
        admin_privileges.resolve_admin("restricted", ["Sudo", "WriteData", "chown"], None)
    assert "'WriteData'" in str(err.value)
    assert "'chown'" in str(err.value)
    assert "ModifyGroupMembership" in str(err.value)  # the allowed names are listed


@pytest.mark.parametrize(
    ("kind", "privileges", "preset", "match"),
    [
        ("restricted", None, None, "needs privileges or a privilege_preset"),
        ("none", ["Sudo"], None, "apply only to admin_type restricted"),
        ("full", None, "platform_admin", "apply only to admin_type restricted"),
        ("restricted", None, "super_admin", "unknown privilege_preset 'super_admin'"),
        ("superuser", None, None, "admin_type must be one of"),
    ],
)
def test_admin_type_errors(kind, privileges, preset, match):
    with pytest.raises(OmeroInputError, match=match):
        admin_privileges.resolve_admin(kind, privileges, preset)


# --- permission levels -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [("private", "private"), ("rw----", "private"), ("rwr---", "read-only"), ("rwra--", "read-annotate")],
)
def test_permission_levels(value, level):
    assert group_planner.permission_level(value) == level


@pytest.mark.parametrize("value", ["public", "rwrwrw", "READ-ONLY", ""])
def test_bad_permission_level_is_named(value):
    with pytest.raises(OmeroInputError, match=f"bad group permission level {value!r}"):
        group_planner.permission_level(value)


def test_downgrades():
    assert group_planner.is_downgrade("read-write", "private")
    assert group_planner.is_downgrade("rwra--", "read-only")
    assert not group_planner.is_downgrade("private", "read-write")
    assert not group_planner.is_downgrade("read-only", "read-only")


# --- users: create -----------------------------------------------------------------------------


def test_create_user(fake):
    result = ensure_user(fake, jdoe())
    assert result["changed"]
    assert fake.write_calls() == [
        (
            "create_experimenter_with_password",
            (
                {
                    "name": "jdoe",
                    "first_name": "Jane",
                    "middle_name": None,
                    "last_name": "Doe",
                    "email": "jane@example.org",
                    "institution": "Example Institute",
                },
                NEW_PW,
                "lab",
                ["user"],
            ),
        )
    ]
    assert result["user"]["groups"] == ["lab"]
    assert result["user"]["active"] is True
    assert result["password_changed"] is True
    assert_no_secret(result, NEW_PW)
    # the world as the fake sees it
    assert fake.users["jdoe"]["groups"] == ["lab", "user"]


def test_create_inactive_user_with_groups_and_ownership(fake):
    result = ensure_user(fake, jdoe(groups=["lab", "other"], default_group="other", owner_of=["lab"], active=False))
    assert fake.write_calls() == [
        ("create_experimenter_with_password", (fake.calls[-2][1][0], NEW_PW, "other", ["lab"])),
        ("add_group_owners", ("lab", ["jdoe"])),
    ]
    assert result["user"]["active"] is False
    assert result["user"]["owner_of"] == ["lab"]
    assert "user" not in fake.users["jdoe"]["groups"]


@pytest.mark.parametrize("preset", ["platform_admin", "group_admin_server_wide"])
def test_create_restricted_admin_from_preset(fake, preset):
    result = ensure_user(fake, jdoe(admin_type="restricted", privilege_preset=preset, owner_of=["lab"]))
    calls = fake.write_calls()
    assert calls[0][0] == "create_restricted_system_user_with_password"
    assert calls[0][1][1] == FBI_PLAN_PRIVILEGES
    assert calls[1:] == [
        ("add_groups", ("jdoe", ["lab"])),
        ("set_default_group", ("jdoe", "lab")),
        ("add_group_owners", ("lab", ["jdoe"])),
    ]
    assert result["user"]["admin_type"] == "restricted"
    assert fake.privileges["jdoe"] == set(FBI_PLAN_PRIVILEGES)
    assert_no_secret(result, NEW_PW)


def test_create_full_admin_gets_every_privilege(fake):
    result = ensure_user(fake, jdoe(admin_type="full", groups=None, default_group=None))
    assert fake.write_calls()[0][1][1] == list(admin_privileges.PRIVILEGES)
    assert result["user"]["default_group"] == "system"
    # re-reading the fake: a full admin
    assert user_planner.current_user(fake, "jdoe", fake.security_roles())["admin_type"] == "full"


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"password": None}, "creating it needs password"),
        ({"first_name": None, "last_name": None}, "creating it needs first_name, last_name"),
        ({"groups": None, "default_group": None}, "needs default_group or groups"),
    ],
)
def test_create_needs(fake, kw, match):
    with pytest.raises(OmeroInputError, match=match):
        ensure_user(fake, jdoe(**kw))
    assert fake.write_calls() == []


def test_missing_group_fails_before_any_write(fake):
    with pytest.raises(OmeroInputError, match=r"group.s. that do not exist: nope"):
        ensure_user(fake, jdoe(groups=["lab", "nope"]))
    assert fake.write_calls() == []


def test_missing_group_is_a_warning_in_check_mode(fake):
    result = ensure_user(fake, jdoe(groups=["nope"], default_group="nope"), check_mode=True)
    assert result["changed"]
    assert "nope" in result["warnings"][0]
    assert fake.write_calls() == []


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"groups": ["lab", "system"]}, "must not list OMERO's built-in group"),
        ({"owner_of": ["user"]}, "must not list OMERO's built-in group"),
        ({"default_group": "user"}, "default_group cannot be OMERO's built-in group 'user'"),
        ({"privileges": ["Sudo"]}, "need admin_type: restricted"),
        ({"update_password": "sometimes"}, "update_password must be"),
        ({"name": ""}, "name .the user's login. is required"),
    ],
)
def test_user_input_errors(fake, kw, match):
    with pytest.raises(OmeroInputError, match=match):
        ensure_user(fake, jdoe(**kw))
    assert fake.write_calls() == []


# --- users: update -----------------------------------------------------------------------------


def test_no_change_makes_no_write(with_jdoe):
    result = ensure_user(with_jdoe, jdoe())
    assert not result["changed"]
    assert with_jdoe.write_calls() == []
    assert result["operations"] == []
    assert result["diff"]["before"] == result["diff"]["after"]


@pytest.mark.parametrize(
    "field", ["first_name", "middle_name", "last_name", "email", "institution"], ids=lambda f: "update-" + f
)
def test_update_each_field(with_jdoe, field):
    result = ensure_user(with_jdoe, jdoe(**{field: "Changed"}))
    expected = {
        "first_name": "Jane",
        "middle_name": None,
        "last_name": "Doe",
        "email": "jane@example.org",
        "institution": "Example Institute",
    }
    expected[field] = "Changed"
    assert with_jdoe.write_calls() == [("update_experimenter", ("jdoe", expected))]
    assert result["diff"]["after"][field] == "Changed"
    assert result["diff"]["before"][field] != "Changed"
    assert with_jdoe.users["jdoe"][field] == "Changed"


def test_empty_string_clears_a_field_once(with_jdoe):
    ensure_user(with_jdoe, jdoe(institution=""))
    assert with_jdoe.write_calls()[0][1][1]["institution"] is None
    with_jdoe.calls.clear()
    assert not ensure_user(with_jdoe, jdoe(institution=""))["changed"]


def test_unset_fields_are_left_alone(with_jdoe):
    result = ensure_user(with_jdoe, {"name": "jdoe", "email": "new@example.org"})
    assert with_jdoe.write_calls() == [
        (
            "update_experimenter",
            (
                "jdoe",
                {
                    "first_name": "Jane",
                    "middle_name": None,
                    "last_name": "Doe",
                    "email": "new@example.org",
                    "institution": "Example Institute",
                },
            ),
        )
    ]
    assert result["user"]["groups"] == ["lab"]


def test_update_groups_exact(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(groups=["other"], default_group="other"))
    assert with_jdoe.write_calls() == [
        ("add_groups", ("jdoe", ["other"])),
        ("set_default_group", ("jdoe", "other")),
        ("remove_groups", ("jdoe", ["lab"])),
    ]
    assert result["diff"]["before"]["groups"] == ["lab"]
    assert result["diff"]["after"]["groups"] == ["other"]
    assert with_jdoe.users["jdoe"]["groups"] == ["other", "user"]


def test_update_groups_append(with_jdoe):
    ensure_user(with_jdoe, jdoe(groups=["other"], append_groups=True, default_group=None))
    assert with_jdoe.write_calls() == [("add_groups", ("jdoe", ["other"]))]


def test_leaving_the_default_group_needs_a_new_one(with_jdoe):
    with pytest.raises(OmeroInputError, match="would leave its default group 'lab'"):
        ensure_user(with_jdoe, jdoe(groups=["other"], default_group=None))
    assert with_jdoe.write_calls() == []


def test_update_default_group(with_jdoe):
    with_jdoe.users["jdoe"]["groups"].append("other")
    ensure_user(with_jdoe, jdoe(groups=["lab", "other"], default_group="other"))
    assert with_jdoe.write_calls() == [("set_default_group", ("jdoe", "other"))]


def test_update_ownership(with_jdoe):
    ensure_user(with_jdoe, jdoe(owner_of=["lab"]))
    assert with_jdoe.write_calls() == [("add_group_owners", ("lab", ["jdoe"]))]
    with_jdoe.calls.clear()
    ensure_user(with_jdoe, jdoe(owner_of=[]))
    assert with_jdoe.write_calls() == [("remove_group_owners", ("lab", ["jdoe"]))]


def test_owner_of_adds_membership(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(groups=None, default_group=None, owner_of=["other"]))
    assert with_jdoe.write_calls() == [
        ("add_groups", ("jdoe", ["other"])),
        ("add_group_owners", ("other", ["jdoe"])),
    ]
    assert result["user"]["groups"] == ["lab", "other"]


def test_deactivate_and_reactivate(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(active=False))
    assert with_jdoe.write_calls() == [("remove_groups", ("jdoe", ["user"]))]
    assert result["diff"]["before"]["active"] is True
    assert result["diff"]["after"]["active"] is False
    with_jdoe.calls.clear()
    ensure_user(with_jdoe, jdoe(active=True))
    assert with_jdoe.write_calls() == [("add_groups", ("jdoe", ["user"]))]


def test_promote_sets_privileges_before_joining_system(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(admin_type="restricted", privilege_preset="platform_admin"))
    assert with_jdoe.write_calls() == [
        ("set_admin_privileges", ("jdoe", FBI_PLAN_PRIVILEGES)),
        ("add_groups", ("jdoe", ["system"])),
    ]
    assert result["diff"]["before"]["admin_type"] == "none"
    assert result["diff"]["after"]["privileges"] == FBI_PLAN_PRIVILEGES
    assert user_planner.current_user(with_jdoe, "jdoe", with_jdoe.security_roles())["privileges"] == FBI_PLAN_PRIVILEGES


def test_change_privileges_of_restricted_admin(fake):
    fake.add_user("adm", ["lab", "system", "user"], privileges=["Sudo", "Chown"])
    result = ensure_user(fake, {"name": "adm", "admin_type": "restricted", "privileges": ["Sudo"]})
    assert fake.write_calls() == [("set_admin_privileges", ("adm", ["Sudo"]))]
    assert result["diff"]["before"]["privileges"] == ["Chown", "Sudo"]
    assert result["diff"]["after"]["privileges"] == ["Sudo"]


def test_restricted_to_full(fake):
    fake.add_user("adm", ["lab", "system", "user"], privileges=["Sudo"])
    ensure_user(fake, {"name": "adm", "admin_type": "full"})
    assert fake.write_calls() == [("set_admin_privileges", ("adm", list(admin_privileges.PRIVILEGES)))]


def test_demote_leaves_system_group(fake):
    fake.add_user("adm", ["lab", "system", "user"], privileges=["Sudo"])
    result = ensure_user(fake, {"name": "adm", "admin_type": "none"})
    assert fake.write_calls() == [("remove_groups", ("adm", ["system"]))]
    assert result["user"]["admin_type"] == "none"


def test_demote_needs_a_default_group_other_than_system(fake):
    fake.add_user("adm", ["system", "user"], privileges=["Sudo"])
    with pytest.raises(OmeroInputError, match="set default_group"):
        ensure_user(fake, {"name": "adm", "admin_type": "none"})


def test_admin_is_idempotent(fake):
    fake.add_user("adm", ["lab", "system", "user"], privileges=FBI_PLAN_PRIVILEGES, owner_of=["lab"])
    result = ensure_user(
        fake,
        {
            "name": "adm",
            "groups": ["lab"],
            "owner_of": ["lab"],
            "admin_type": "restricted",
            "privilege_preset": "platform_admin",
        },
    )
    assert not result["changed"]
    assert fake.write_calls() == []


def test_password_on_create_is_not_updated(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(password=NEW_PW))
    assert not result["changed"]
    assert ("check_password", ("jdoe", "<password>")) not in with_jdoe.calls


def test_password_always_changes_only_when_login_fails(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(password=NEW_PW, update_password="always"))
    assert with_jdoe.write_calls() == [("change_user_password", ("jdoe", NEW_PW))]
    assert result["password_changed"]
    assert result["operations"] == ["IAdmin.changeUserPassword('jdoe', '********')"]
    assert_no_secret(result, NEW_PW, OLD_PW)
    with_jdoe.calls.clear()
    again = ensure_user(with_jdoe, jdoe(password=NEW_PW, update_password="always"))
    assert not again["changed"]
    assert with_jdoe.write_calls() == []


def test_password_of_ldap_or_inactive_user_is_left_alone(with_jdoe):
    with_jdoe.users["jdoe"]["ldap"] = True
    result = ensure_user(with_jdoe, jdoe(update_password="always"))
    assert not result["changed"]
    assert "LDAP" in result["warnings"][0]
    with_jdoe.users["jdoe"]["ldap"] = False
    with_jdoe.users["jdoe"]["groups"].remove("user")
    result = ensure_user(with_jdoe, jdoe(update_password="always", active=None))
    assert not result["changed"]
    assert "inactive" in result["warnings"][0]


# --- check mode and diff -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "existing"),
    [
        (jdoe(), False),
        (jdoe(admin_type="restricted", privilege_preset="platform_admin", owner_of=["lab"]), False),
        (jdoe(groups=["other"], default_group="other", active=False, first_name="J"), True),
        (jdoe(admin_type="full"), True),
        (jdoe(update_password="always", password="brand-new-pw-1234"), True),
    ],
    ids=["create", "create-admin", "update", "promote", "password"],
)
def test_check_mode_makes_no_writing_call(with_jdoe, spec, existing):
    if not existing:
        del with_jdoe.users["jdoe"]
    before = json.dumps(with_jdoe.users, sort_keys=True, default=sorted)
    result = ensure_user(with_jdoe, spec, check_mode=True)
    assert result["changed"]
    assert result["operations"]
    assert with_jdoe.write_calls() == []
    assert json.dumps(with_jdoe.users, sort_keys=True, default=sorted) == before
    assert_no_secret(result, spec["password"], OLD_PW)


def test_check_mode_predicts_what_the_real_run_does(with_jdoe):
    spec = jdoe(groups=["other"], default_group="other", owner_of=["other"], email="x@example.org")
    predicted = ensure_user(with_jdoe, spec, check_mode=True)
    real = ensure_user(with_jdoe, spec)
    assert predicted["operations"] == real["operations"]
    assert predicted["user"] == real["user"]
    assert real["user"] == user_planner.current_user(with_jdoe, "jdoe", with_jdoe.security_roles())


def test_diff_is_data_without_password(with_jdoe):
    result = ensure_user(with_jdoe, jdoe(email="new@example.org", update_password="always"))
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert set(before) == set(after)
    assert "password" not in before
    assert "password" not in after
    assert {k for k in after if after[k] != before[k]} == {"email"}
    assert_no_secret(result, NEW_PW, OLD_PW)


def test_diff_of_a_new_user_starts_empty(fake):
    result = ensure_user(fake, jdoe(), check_mode=True)
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["name"] == "jdoe"


# --- server errors never leak a password --------------------------------------------------------


def test_server_error_is_reported_with_the_call_and_without_password(fake):
    def refuse(*args):
        raise OmeroServerError(f"SecurityViolation: password {NEW_PW} is too weak")

    fake.create_experimenter_with_password = refuse
    with pytest.raises(OmeroServerError) as err:
        ensure_user(fake, jdoe())
    text = str(err.value)
    assert "IAdmin.createExperimenterWithPassword" in text
    assert "too weak" in text
    assert NEW_PW not in text


def test_server_refusal_is_reported(with_jdoe):
    def refuse(*args):
        raise OmeroServerError("SecurityViolation: Current user is neither admin nor group-leader for the given groups")

    with_jdoe.add_groups = refuse
    with pytest.raises(OmeroServerError, match=r"IAdmin\.addGroups\('jdoe', \['other'\]\) failed: SecurityViolation"):
        ensure_user(with_jdoe, jdoe(groups=["lab", "other"]))


# --- groups ------------------------------------------------------------------------------------


def test_create_group(fake):
    fake.add_user("pi", ["other", "user"])
    fake.add_user("student", ["other", "user"])
    fake.calls.clear()
    result = ensure_group(
        fake,
        {
            "name": "new-lab",
            "permissions": "read-annotate",
            "description": "A lab",
            "owners": ["pi"],
            "members": ["student"],
        },
    )
    assert fake.write_calls() == [
        ("create_group", ({"name": "new-lab", "description": "A lab", "permissions": "rwra--"},)),
        ("add_groups", ("pi", ["new-lab"])),
        ("add_groups", ("student", ["new-lab"])),
        ("add_group_owners", ("new-lab", ["pi"])),
    ]
    assert result["group"] == {
        "name": "new-lab",
        "description": "A lab",
        "permissions": "read-annotate",
        "members": ["pi", "student"],
        "owners": ["pi"],
    }
    assert result["group"] == group_planner.current_group(fake, "new-lab")


def test_new_group_is_private_by_default(fake):
    ensure_group(fake, {"name": "quiet"})
    assert fake.groups["quiet"]["permissions"] == "rw----"


def test_group_no_change(fake):
    result = ensure_group(fake, {"name": "lab", "permissions": "rwra--"})
    assert not result["changed"]
    assert fake.write_calls() == []


def test_group_description(fake):
    result = ensure_group(fake, {"name": "lab", "description": "Cell biology"})
    assert fake.write_calls() == [("update_group", ("lab", {"name": "lab", "description": "Cell biology"}))]
    assert result["diff"] == {
        "before": {"name": "lab", "description": None, "permissions": "read-annotate", "members": [], "owners": []},
        "after": {
            "name": "lab",
            "description": "Cell biology",
            "permissions": "read-annotate",
            "members": [],
            "owners": [],
        },
    }


def test_group_upgrade(fake):
    ensure_group(fake, {"name": "lab", "permissions": "read-write"})
    assert fake.write_calls() == [("chmod_group", ("lab", "rwrw--"))]


@pytest.mark.parametrize(("before", "after"), [("rwra--", "read-only"), ("rwra--", "private"), ("rwr---", "rw----")])
def test_group_downgrade_refused_without_allow(fake, before, after):
    fake.groups["lab"]["permissions"] = before
    with pytest.raises(OmeroInputError, match=r"is a downgrade.*allow_downgrade: true"):
        ensure_group(fake, {"name": "lab", "permissions": after})
    assert fake.write_calls() == []


def test_group_downgrade_to_private_explains_omeros_rule(fake):
    with pytest.raises(OmeroInputError, match="refuses the change when different users' data is too closely related"):
        ensure_group(fake, {"name": "lab", "permissions": "private"})


def test_group_downgrade_allowed(fake):
    result = ensure_group(fake, {"name": "lab", "permissions": "read-only", "allow_downgrade": True})
    assert fake.write_calls() == [("chmod_group", ("lab", "rwr---"))]
    assert result["diff"]["after"]["permissions"] == "read-only"


def test_group_downgrade_refused_by_omero_is_reported(fake):
    fake.refuse_chmod["lab"] = "graph-fail Chmod2 cannot separate linked data"
    with pytest.raises(OmeroServerError, match=r"Chmod2.*cannot separate linked data"):
        ensure_group(fake, {"name": "lab", "permissions": "private", "allow_downgrade": True})


def test_group_members_exact_and_owners(fake):
    for name in ("a", "b", "c"):
        fake.add_user(name, ["other", "user"])
    fake.add_groups("a", ["lab"])
    fake.add_groups("b", ["lab"])
    fake.add_group_owners("lab", ["a"])
    fake.calls.clear()
    result = ensure_group(fake, {"name": "lab", "members": ["b", "c"], "owners": ["c"]})
    assert fake.write_calls() == [
        ("add_groups", ("c", ["lab"])),
        ("add_group_owners", ("lab", ["c"])),
        ("remove_groups", ("a", ["lab"])),
    ]
    assert result["group"]["members"] == ["b", "c"]
    assert result["group"]["owners"] == ["c"]
    assert result["group"] == group_planner.current_group(fake, "lab")


def test_group_members_append(fake):
    fake.add_user("a", ["lab", "user"])
    fake.add_user("b", ["other", "user"])
    fake.calls.clear()
    ensure_group(fake, {"name": "lab", "members": ["b"], "append_members": True})
    assert fake.write_calls() == [("add_groups", ("b", ["lab"]))]


def test_group_owner_removed_stays_member(fake):
    fake.add_user("a", ["lab", "user"], owner_of=["lab"])
    fake.calls.clear()
    result = ensure_group(fake, {"name": "lab", "owners": []})
    assert fake.write_calls() == [("remove_group_owners", ("lab", ["a"]))]
    assert result["group"]["members"] == ["a"]


def test_group_unknown_member_fails_before_writes(fake):
    with pytest.raises(OmeroInputError, match=r"user.s. that do not exist: ghost"):
        ensure_group(fake, {"name": "new", "members": ["ghost"]})
    assert fake.write_calls() == []


def test_group_absent(fake):
    result = ensure_group(fake, {"name": "other", "state": "absent"})
    assert fake.write_calls() == [("delete_group", ("other",))]
    assert result["diff"]["after"] == {}
    fake.calls.clear()
    assert not ensure_group(fake, {"name": "other", "state": "absent"})["changed"]
    assert fake.write_calls() == []


@pytest.mark.parametrize("name", ["system", "user", "guest"])
def test_builtin_groups_refused(fake, name):
    with pytest.raises(OmeroInputError, match="built-in groups"):
        ensure_group(fake, {"name": name, "permissions": "read-only"})


def test_group_bad_level(fake):
    with pytest.raises(OmeroInputError, match="bad group permission level 'open'"):
        ensure_group(fake, {"name": "lab", "permissions": "open"})


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "brand-new", "permissions": "read-only", "members": ["root"]},
        {"name": "lab", "permissions": "read-write", "description": "d", "members": ["root"], "owners": ["root"]},
        {"name": "lab", "permissions": "read-only", "allow_downgrade": True},
        {"name": "lab", "state": "absent"},
    ],
    ids=["create", "update", "downgrade", "absent"],
)
def test_group_check_mode_makes_no_writing_call(fake, spec):
    before = json.dumps(fake.groups, sort_keys=True, default=sorted)
    result = ensure_group(fake, spec, check_mode=True)
    assert result["changed"]
    assert fake.write_calls() == []
    assert json.dumps(fake.groups, sort_keys=True, default=sorted) == before


def test_operation_description_masks_secrets():
    op = admin.Operation("change_user_password", ("jdoe", NEW_PW))
    assert op.describe([NEW_PW]) == "IAdmin.changeUserPassword('jdoe', '********')"
    assert admin.redact(f"a {NEW_PW} b", [None, "", NEW_PW]) == "a ******** b"


# --- the group_admin preset: the owner of their groups, no server-wide privilege -----------------

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "modules", "omero_user.md")


def documented_presets():
    """The preset table of docs/modules/omero_user.md: preset -> (admin_type, privileges)."""
    rows = {}
    with open(DOCS, encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"^\| `(\w+)` \| `(\w+)`[^|]*\| (.*) \|$", line)
            if match and match.group(1) in ("platform_admin", "group_admin", "group_admin_server_wide"):
                privileges = re.findall(r"`(\w+)`", match.group(3))
                if "same 14 as" in match.group(3):
                    privileges = rows["platform_admin"][1]
                rows[match.group(1)] = (match.group(2), sorted(privileges))
    return rows


def test_the_documented_presets_are_what_the_module_asks_omero_for(fake):
    documented = documented_presets()
    assert set(documented) == {"platform_admin", "group_admin", "group_admin_server_wide"}
    for preset, (admin_type, privileges) in documented.items():
        fake.add_group(f"lab-{preset}", "rwra--")
        name = f"u-{preset}"
        spec = dict(jdoe(name=name, groups=[f"lab-{preset}"], default_group=f"lab-{preset}"))
        spec.update(privilege_preset=preset, owner_of=[f"lab-{preset}"])
        if admin_type == "restricted":
            spec["admin_type"] = "restricted"
        ensure_user(fake, spec)
        user = user_planner.current_user(fake, name, fake.security_roles())
        assert (user["admin_type"], user["privileges"]) == (admin_type, privileges), preset
        assert user["owner_of"] == [f"lab-{preset}"]


def test_group_admin_is_an_owner_without_any_privilege(fake):
    result = ensure_user(fake, jdoe(privilege_preset="group_admin", owner_of=["lab"]))
    calls = fake.write_calls()
    assert [c[0] for c in calls] == ["create_experimenter_with_password", "add_group_owners"]
    assert calls[0][1][2:] == ("lab", ["user"])  # default group lab, then "user": never "system"
    assert calls[1][1] == ("lab", ["jdoe"])
    assert "jdoe" not in fake.privileges or not fake.privileges["jdoe"]
    assert result["user"]["admin_type"] == "none"
    assert result["warnings"] == []
    again = ensure_user(fake, jdoe(privilege_preset="group_admin", owner_of=["lab"]))
    assert not again["changed"]


def test_a_group_admin_made_by_the_old_preset_leaves_the_system_group(fake):
    fake.add_user("asmith", ["lab", "system", "user"], privileges=FBI_PLAN_PRIVILEGES, owner_of=["lab"])
    fake.calls.clear()
    result = ensure_user(fake, {"name": "asmith", "privilege_preset": "group_admin", "owner_of": ["lab"]})
    assert fake.write_calls() == [("remove_groups", ("asmith", ["system"]))]
    assert result["diff"]["before"]["admin_type"] == "restricted"
    assert user_planner.current_user(fake, "asmith", fake.security_roles())["admin_type"] == "none"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"privilege_preset": "group_admin"}, "privilege_preset group_admin makes the user the owner"),
        ({"privilege_preset": "group_admin", "owner_of": []}, "set owner_of"),
        (
            {"privilege_preset": "group_admin", "owner_of": ["lab"], "admin_type": "restricted"},
            "privilege_preset group_admin is a group owner with no administrator privilege",
        ),
        (
            {"privilege_preset": "group_admin", "owner_of": ["lab"], "admin_type": "none", "privileges": ["Sudo"]},
            "use admin_type restricted with privilege_preset group_admin_server_wide",
        ),
    ],
)
def test_group_admin_misuse_is_refused_before_any_call(fake, spec, message):
    with pytest.raises(OmeroInputError, match=re.escape(message)):
        ensure_user(fake, dict({"name": "jdoe"}, **spec))
    assert fake.write_calls() == []


def test_the_server_wide_group_admin_warns(fake):
    spec = jdoe(admin_type="restricted", privilege_preset="group_admin_server_wide", owner_of=["lab"])
    result = ensure_user(fake, spec)
    assert len(result["warnings"]) == 1
    assert "server-wide restricted administrator" in result["warnings"][0]
    assert "Sudo lets them act as any user" in result["warnings"][0]
