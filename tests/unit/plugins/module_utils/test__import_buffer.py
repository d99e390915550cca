# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The buffer's lifetime rule: imported entries go after a delay, old ones after a warning, waiting ones never."""

from __future__ import annotations

import json
import os

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _import_buffer as b

DAY = 86400
CFG = {"keep_after_import_seconds": 7 * DAY, "max_age_seconds": 60 * DAY, "warning_seconds": 14 * DAY}
NOW = 1000 * DAY


@pytest.mark.parametrize(
    ("requests", "age_days", "warned_days_ago", "action"),
    [
        ([("g/u/e", "done", NOW - 8 * DAY)], 1, None, "delete"),  # imported 8 days ago
        ([("g/u/e", "done", NOW - 1 * DAY)], 1, None, "keep"),  # imported yesterday
        ([("g/u/e", "queued", None)], 400, 100, "keep"),  # still waiting: never, even past the limit
        ([("g/u/e/sub", "importing", None)], 400, 100, "keep"),  # a request below it waits
        ([("g/u/e", "done", NOW - 8 * DAY), ("g/u/e", "queued", None)], 1, None, "keep"),
        ([], 10, None, "keep"),
        ([], 50, None, "warn"),  # within the warning period of the hard limit
        ([], 61, None, "warn"),  # past the limit but never warned: warn first
        ([], 61, 3, "warn"),  # warned too recently
        ([], 61, 15, "delete"),  # warned 15 days ago, past the limit
        ([("g/u/e", "failed", NOW - 100 * DAY)], 61, 15, "delete"),  # failed is not waiting
        ([("g/u/e/sub", "done", NOW - 100 * DAY)], 30, None, "keep"),  # only part imported: the limit decides
    ],
)
def test_decide(requests, age_days, warned_days_ago, action):
    warned = None if warned_days_ago is None else NOW - warned_days_ago * DAY
    assert b.decide("g/u/e", NOW - age_days * DAY, requests, warned, NOW, CFG)[0] == action


def make(root, rel, age):
    path = root / rel
    path.mkdir(parents=True)
    (path / "f.tif").write_text("data")
    for p in (path / "f.tif", path):
        os.utime(p, (NOW - age, NOW - age))


def test_clean_deletes_warns_and_keeps(tmp_path):
    root = tmp_path / "buffer"
    make(root, "lab1/alice/imported", DAY)
    make(root, "lab1/alice/waiting", 400 * DAY)
    make(root, "lab1/alice/old", 61 * DAY)
    make(root, "lab1/bob/fresh", DAY)
    cfg = dict(CFG, root=str(root), state_file=str(tmp_path / "warnings.json"))
    requests = [("lab1/alice/imported", "done", NOW - 8 * DAY), ("lab1/alice/waiting", "syncing", None)]
    first = b.clean(cfg, requests, NOW, log=lambda _m: None)
    assert first["deleted"] == ["lab1/alice/imported"] and first["warned"] == ["lab1/alice/old"]
    assert sorted(os.listdir(root / "lab1/alice")) == [b.NOTICE, "old", "waiting"]
    assert "old" in (root / "lab1/alice" / b.NOTICE).read_text()
    assert json.loads((tmp_path / "warnings.json").read_text()) == {"lab1/alice/old": NOW}
    # Fifteen days later: the warned entry goes, the waiting one stays, the notice is removed.
    later = b.clean(cfg, requests, NOW + 15 * DAY, log=lambda _m: None)
    assert later["deleted"] == ["lab1/alice/old"]
    assert sorted(os.listdir(root / "lab1/alice")) == ["waiting"]
    assert os.listdir(root / "lab1/bob") == ["fresh"]


def test_dry_run_deletes_nothing(tmp_path):
    root = tmp_path / "buffer"
    make(root, "g/u/imported", DAY)
    cfg = dict(CFG, root=str(root), state_file=str(tmp_path / "w.json"))
    res = b.clean(cfg, [("g/u/imported", "done", NOW - 8 * DAY)], NOW, dry_run=True, log=lambda _m: None)
    assert res["deleted"] == ["g/u/imported"] and (root / "g/u/imported/f.tif").exists()


def test_main_deletes_nothing_without_the_queue(tmp_path, capsys):
    root = tmp_path / "buffer"
    make(root, "g/u/imported", DAY)
    config = tmp_path / "clean.json"
    config.write_text(
        json.dumps(
            dict(
                CFG,
                root=str(root),
                state_file=str(tmp_path / "w.json"),
                database={"host": str(tmp_path), "dbname": "none", "connect_timeout": 2},
            )
        )
    )
    assert b.main(["--config", str(config)]) == 1
    assert "nothing deleted" in capsys.readouterr().err
    assert (root / "g/u/imported/f.tif").exists()
