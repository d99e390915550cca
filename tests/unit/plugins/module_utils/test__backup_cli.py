# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The omero-backup command the systemd services run: exit codes, output, configuration."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_cli as cli


def write_config(tmp_path, **sections):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(sections))
    return str(path)


def test_list_succeeds_with_json_on_stdout(tmp_path, capsys):
    config = write_config(tmp_path, database={"backup_dir": str(tmp_path)})
    assert cli.main(["--config", config, "list"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["backups"] == []
    assert err.startswith("omero-backup list: 0 backups")


def test_failure_exits_non_zero_with_the_reason_on_stderr(tmp_path, capsys):
    status = tmp_path / "status.json"
    config = write_config(
        tmp_path,
        database={"backup_dir": str(tmp_path / "missing"), "status_file": str(status), "login_password": "x-secret-x"},
    )
    assert cli.main(["--config", config, "dump"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "omero-backup dump FAILED: backup_dir" in err and "does not exist" in err
    assert "x-secret-x" not in err
    assert not json.loads(status.read_text())["dump"]["ok"]


def test_missing_or_incomplete_configuration(tmp_path, capsys):
    assert cli.main(["--config", str(tmp_path / "none.json"), "dump"]) == 1
    assert "cannot read" in capsys.readouterr().err
    config = write_config(tmp_path, database={"backup_dir": str(tmp_path)})
    assert cli.main(["--config", config, "data-run"]) == 1
    assert "has no 'data' section" in capsys.readouterr().err


def test_unknown_action_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--config", write_config(tmp_path), "explode"])
    assert exc.value.code == 2


def test_an_unexpected_error_still_fails_and_reaches_the_status_file(tmp_path, capsys, monkeypatch):
    status = tmp_path / "status.json"
    config = write_config(tmp_path, database={"backup_dir": str(tmp_path), "status_file": str(status)})

    def boom(opts, check_mode=False):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli.pg, "perform", boom)
    assert cli.main(["--config", config, "prune"]) == 1
    assert "FAILED (unexpected error): RuntimeError('a bug')" in capsys.readouterr().err
    assert json.loads(status.read_text())["prune"]["ok"] is False
