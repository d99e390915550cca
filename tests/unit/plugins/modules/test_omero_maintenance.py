# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_maintenance as a module, on real files in a temporary directory."""

from __future__ import annotations

import json
import os

import pytest
from ansible_collections.bioimage.omero.plugins.modules import omero_maintenance
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_module


def run(capsys, tmp_path, check=False, diff=False, **args):
    args = dict(
        args,
        flag=str(tmp_path / "omero-maintenance.flag"),
        page=str(tmp_path / "www" / "maintenance.html"),
        _ansible_check_mode=check,
        _ansible_diff=diff,
    )
    (tmp_path / "www").mkdir(exist_ok=True)
    return run_module(omero_maintenance, args, capsys)


def files(tmp_path):
    flag = tmp_path / "omero-maintenance.flag"
    page = tmp_path / "www" / "maintenance.html"
    return (
        flag.read_text() if flag.exists() else None,
        page.read_text() if page.exists() else None,
    )


def test_on_writes_page_and_flag_then_is_idempotent(capsys, tmp_path):
    first = run(capsys, tmp_path, state="on", reason="DB upgrade", until="2026-11-21T21:00:00+01:00", diff=True)
    assert first["rc"] == 0
    assert first["changed"]
    assert first["previous"]["state"] == "off"
    assert first["until"] == "2026-11-21T20:00:00Z"
    flag, page = files(tmp_path)
    data = json.loads(flag)
    assert data["reason"] == "DB upgrade"
    assert data["until"] == "2026-11-21T20:00:00Z"
    assert "DB upgrade" in page
    assert oct(os.stat(tmp_path / "omero-maintenance.flag").st_mode & 0o777) == "0o644"
    assert first["diff"][0]["before"] == ""
    assert json.loads(first["diff"][0]["after"])["reason"] == "DB upgrade"

    second = run(capsys, tmp_path, state="on", reason="DB upgrade", until="2026-11-21T20:00:00Z")
    assert not second["changed"]
    assert second["previous"]["state"] == "on"
    assert second["previous"]["reason"] == "DB upgrade"
    assert files(tmp_path) == (flag, page)


def test_check_mode_changes_nothing(capsys, tmp_path):
    out = run(capsys, tmp_path, state="on", reason="x", check=True, diff=True)
    assert out["changed"]
    assert files(tmp_path) == (None, None)
    assert "x" in out["diff"][1]["after"]
    run(capsys, tmp_path, state="on", reason="x")
    before = files(tmp_path)
    off = run(capsys, tmp_path, state="off", check=True)
    assert off["changed"]
    assert off["previous"]["state"] == "on"
    assert files(tmp_path) == before


def test_off_removes_flag_and_page_and_returns_previous(capsys, tmp_path):
    run(capsys, tmp_path, state="on", reason="storage move", until="2026-11-22T08:00:00Z")
    off = run(capsys, tmp_path, state="off", diff=True)
    assert off["changed"]
    assert off["previous"] == {
        "state": "on",
        "reason": "storage move",
        "until": "2026-11-22T08:00:00Z",
        "since": off["previous"]["since"],
        "retry_after": 3600,
    }
    assert files(tmp_path) == (None, None)
    assert off["diff"][0]["after"] == ""
    again = run(capsys, tmp_path, state="off")
    assert not again["changed"]
    assert again["previous"]["state"] == "off"


def test_hand_made_flag_is_on(capsys, tmp_path):
    (tmp_path / "omero-maintenance.flag").write_text("")
    out = run(capsys, tmp_path, state="off")
    assert out["previous"]["state"] == "on"
    assert out["changed"]
    assert files(tmp_path) == (None, None)


def test_changing_the_reason_keeps_since(capsys, tmp_path):
    first = run(capsys, tmp_path, state="on", reason="a")
    since = json.loads(files(tmp_path)[0])["since"]
    second = run(capsys, tmp_path, state="on", reason="b")
    assert first["changed"]
    assert second["changed"]
    assert json.loads(files(tmp_path)[0])["since"] == since
    assert "b" in files(tmp_path)[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"state": "on", "until": "soon"}, "ISO 8601"),
        ({"state": "on", "retry_after": 0}, "retry_after"),
        ({"state": "maybe"}, "state"),
    ],
)
def test_bad_input_fails_clearly(capsys, tmp_path, args, message):
    out = run(capsys, tmp_path, **args)
    assert out["rc"] == 1
    assert out["failed"]
    assert message in out["msg"]
    assert files(tmp_path) == (None, None)


def test_missing_directory_fails(capsys, tmp_path):
    args = dict(state="on", flag=str(tmp_path / "nodir" / "f.flag"), page=str(tmp_path / "p.html"))
    out = run_module(omero_maintenance, args, capsys)
    assert out["failed"]
    assert "does not exist" in out["msg"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("flag", "omero-maintenance.flag", "flag must be an absolute path on the managed host (starting with /)"),
        ("page", "www/maintenance.html", "page must be an absolute path on the managed host (starting with /)"),
        ("retry_after", 0, "retry_after must be a number of seconds greater than 0, got 0"),
        ("retry_after", -60, "retry_after must be a number of seconds greater than 0, got -60"),
    ],
)
def test_values_outside_their_domain_are_refused_before_any_write(
    capsys, tmp_path, monkeypatch, option, value, message
):
    monkeypatch.chdir(tmp_path)
    args = dict(state="on", flag=str(tmp_path / "omero-maintenance.flag"), page=str(tmp_path / "maintenance.html"))
    args[option] = value
    out = run_module(omero_maintenance, args, capsys)
    assert out["rc"] == 1
    assert out["msg"].startswith(message)
    assert sorted(os.listdir(tmp_path)) == []
