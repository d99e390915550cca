# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero-pgbackrest-drill: which backup it drills, and the status it writes on failure.

The drill itself (pgBackRest restore, WAL replay, scratch cluster) runs against real hosts in
the molecule scenario ``pitr``.
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _pgbackrest_drill as drill
from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError

INFO = [
    {
        "name": "omero",
        "status": {"code": 0, "message": "ok"},
        "backup": [
            {"label": "20261206-010001F", "type": "full"},
            {"label": "20261206-010001F_20261207-010002D", "type": "diff"},
        ],
    },
    {"name": "other", "backup": [{"label": "x", "type": "full"}]},
]


def test_the_newest_backup_of_the_stanza_is_drilled():
    assert drill.newest_backup(json.dumps(INFO), "omero")["label"] == "20261206-010001F_20261207-010002D"
    assert drill.newest_backup(json.dumps(INFO), "other")["label"] == "x"


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ("not json", "pgbackrest info is not JSON"),
        (json.dumps([{"name": "omero", "backup": []}]), "stanza omero has no backup to drill"),
        (json.dumps([{"name": "other", "backup": [{"label": "x"}]}]), "stanza omero is not in the repository"),
        (json.dumps({"name": "omero"}), "stanza omero is not in the repository"),
    ],
)
def test_nothing_to_drill_is_an_error(info, message):
    with pytest.raises(BackupError, match=message):
        drill.newest_backup(info, "omero")


def test_a_failed_drill_exits_non_zero_and_keeps_the_last_success(tmp_path, monkeypatch, capsys):
    status = tmp_path / "status.json"
    status.write_text(
        json.dumps(
            {"pgbackrest_drill": {"ok": True, "time": "2026-11-29T05:30:00Z", "last_success": "2026-11-29T05:30:00Z"}}
        )
    )
    monkeypatch.setenv("PATH", str(tmp_path))  # no pgbackrest: the drill cannot even read the repository
    code = drill.main(
        [
            "--stanza",
            "omero",
            "--scratch",
            str(tmp_path / "scratch"),
            "--database",
            "omero",
            "--status-file",
            str(status),
        ]
    )
    assert code == 1
    assert "omero-pgbackrest-drill FAILED" in capsys.readouterr().err
    entry = json.loads(status.read_text())["pgbackrest_drill"]
    assert entry["ok"] is False
    assert entry["last_success"] == "2026-11-29T05:30:00Z"
    assert entry["message"].startswith("drill FAILED")
