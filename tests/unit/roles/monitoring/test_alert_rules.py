# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The monitoring role's alert rules, rendered with the role's defaults, under promtool.

The template is rendered by Ansible itself (the role's defaults, only the runbook base URL
shortened), then ``promtool check rules`` and ``promtool test rules alerts_test.yml`` run on it.
Every alert must have a test case where it fires and one where it does not.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "monitoring")
TESTS = os.path.join(HERE, "alerts_test.yml")


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: testbed/setup-host.sh installs it (Debian's prometheus package)")
    return path


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory):
    """alerts.yml rendered by Ansible from the role's template and defaults, next to the tests."""
    out = tmp_path_factory.mktemp("rules")
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    res = subprocess.run(
        [
            tool("ansible"),
            "localhost",
            "-c",
            "local",
            "-m",
            "ansible.builtin.template",
            "-a",
            f"src={ROLE}/templates/alerts.yml.j2 dest={out}/alerts.yml",
            "-e",
            f"@{ROLE}/defaults/main.yml",
            "-e",
            "monitoring_runbook_base_url=RUNBOOK",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    shutil.copy(TESTS, out / "alerts_test.yml")
    return out


def alert_names(path):
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return [rule["alert"] for group in data["groups"] for rule in group["rules"] if "alert" in rule]


def test_rules_are_valid(rules_dir):
    res = subprocess.run(
        [tool("promtool"), "check", "rules", str(rules_dir / "alerts.yml")], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_rule_has_runbook_for_window_and_severity(rules_dir):
    with open(rules_dir / "alerts.yml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "docs", "roles", "monitoring.md"), encoding="utf-8") as handle:
        docs = handle.read().lower()
    for group in data["groups"]:
        for rule in group["rules"]:
            name = rule["alert"]
            assert rule["labels"]["severity"] in ("warning", "critical"), name
            assert rule["annotations"]["runbook_url"] == f"RUNBOOK#{name.lower()}", name
            assert f"### {name.lower()}" in docs, f"docs/roles/monitoring.md has no runbook section '### {name}'"
            # MaintenanceOverdue compares with the announced end itself: it needs no window
            assert "for" in rule or name == "MaintenanceOverdue", f"{name} has no for: window"


def test_every_rule_fires_and_stays_quiet_in_a_test(rules_dir):
    with open(TESTS, encoding="utf-8") as handle:
        cases = [case for test in yaml.safe_load(handle)["tests"] for case in test.get("alert_rule_test", [])]
    for name in alert_names(rules_dir / "alerts.yml"):
        mine = [case for case in cases if case["alertname"] == name]
        assert any(case.get("exp_alerts") for case in mine), f"{name}: no test case where it fires"
        assert any(not case.get("exp_alerts") for case in mine), f"{name}: no test case where it stays quiet"


def test_promtool_test_rules(rules_dir):
    res = subprocess.run(
        [tool("promtool"), "test", "rules", "alerts_test.yml"],
        capture_output=True,
        text=True,
        cwd=rules_dir,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
