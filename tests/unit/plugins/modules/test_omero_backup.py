# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_backup and omero_backup_data as modules: arguments, check mode, diff, failures, no secrets."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.bioimage.omero.plugins.doc_fragments.backup import ModuleDocFragment
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_restic as rs
from ansible_collections.bioimage.omero.plugins.modules import omero_backup, omero_backup_data
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_module

SECRET = "module-S3cret-password"


def run(module, capsys, check=False, diff=False, **args):
    return run_module(module, dict(args, _ansible_check_mode=check, _ansible_diff=diff), capsys)


def documented_options(module, fragments):
    options = dict(yaml.safe_load(module.DOCUMENTATION)["options"])
    for fragment in fragments:
        options.update(yaml.safe_load(getattr(ModuleDocFragment, fragment))["options"])
    return options


@pytest.mark.parametrize(
    ("module", "logic", "fragments"),
    [
        (omero_backup, pg, ["DOCUMENTATION", "RETENTION", "STATUS"]),
        (omero_backup_data, rs, ["RETENTION", "STATUS"]),
    ],
)
def test_spec_docs_and_logic_agree(module, logic, fragments):
    spec = module.argument_spec()
    assert set(spec) == set(logic.DEFAULTS)
    docs = documented_options(module, fragments)
    assert set(docs) == set(spec)
    for name, option in spec.items():
        assert docs[name]["type"] == option["type"], name
        assert docs[name].get("default") == option.get("default"), name
        assert docs[name].get("choices") == option.get("choices"), name
        if option.get("default") is not None and name != "action":
            assert logic.DEFAULTS[name] == option["default"], name


def test_secret_options_are_no_log():
    assert omero_backup.argument_spec()["login_password"]["no_log"] is True
    assert ModuleDocFragment.DOCUMENTATION.count("login_password:") == 1


def test_list_on_an_empty_store(capsys, tmp_path):
    out = run(omero_backup, capsys, action="list", backup_dir=str(tmp_path))
    assert out["rc"] == 0 and out["backups"] == [] and out["newest_good"] is None and not out["changed"]


def test_prune_check_mode_returns_a_diff_and_deletes_nothing(capsys, tmp_path):
    for stamp in ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"):
        name = "omero-" + stamp.replace("-", "").replace(":", "")
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text(json.dumps({"status": "good", "created": stamp}))
    out = run(
        omero_backup,
        capsys,
        check=True,
        diff=True,
        action="prune",
        backup_dir=str(tmp_path),
        keep_daily=0,
        keep_weekly=0,
        keep_monthly=0,
    )
    assert out["changed"] and out["deleted"] == ["omero-20260101T000000Z"]
    assert out["diff"]["before"] == "omero-20260101T000000Z\nomero-20260201T000000Z\n"
    assert out["diff"]["after"] == "omero-20260201T000000Z\n"
    assert (tmp_path / "omero-20260101T000000Z").is_dir()
    without_diff = run(omero_backup, capsys, check=True, action="prune", backup_dir=str(tmp_path), keep_daily=0)
    assert "diff" not in without_diff


def test_dump_check_mode_changes_nothing(capsys, tmp_path):
    out = run(omero_backup, capsys, check=True, action="dump", backup_dir=str(tmp_path))
    assert out["changed"] and "would dump database omero" in out["msg"]
    assert list(tmp_path.iterdir()) == []


def test_failure_is_clear_and_carries_no_secret(capsys, tmp_path):
    status = tmp_path / "status.json"
    out = run(
        omero_backup,
        capsys,
        action="dump",
        backup_dir=str(tmp_path),
        login_host=str(tmp_path / "nosocket"),
        login_password=SECRET,
        status_file=str(status),
    )
    assert out["rc"] == 1 and out["failed"]
    assert out["msg"].startswith("cannot connect to database omero")
    assert SECRET not in json.dumps(out)
    assert SECRET not in status.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_bad_input_fails_with_the_reason(capsys, tmp_path):
    out = run(omero_backup, capsys, action="dump", backup_dir=str(tmp_path), jobs=3)
    assert out["rc"] == 1 and "jobs > 1 needs format: directory" in out["msg"]


def test_data_module_refuses_a_readable_password_file(capsys, tmp_path):
    password = tmp_path / "pw"
    password.write_text(SECRET)
    password.chmod(0o644)
    out = run(omero_backup_data, capsys, action="init", repository=str(tmp_path / "repo"), password_file=str(password))
    assert out["rc"] == 1 and "must be 0600 or stricter" in out["msg"]
    assert SECRET not in json.dumps(out)
