# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scrape targets generated from a real inventory with two environments.

The example production inventory (prod and newprod side by side, a monitoring host; a copy with
the role's defaults and vars added as the lowest-precedence group_vars/all file, where role
defaults sit) is handed to Ansible, which renders the monitoring role's prometheus.yml and alertmanager.yml for the
monitoring host; promtool and amtool must accept them and every target must carry its
environment and host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "monitoring")
INVENTORY = os.path.join(ROOT, "inventories", "example-production")
MONITORING_HOST = "monitoring.internal.example.org"


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: testbed/setup-host.sh installs it (Debian's prometheus package)")
    return path


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    copy = str(tmp_path_factory.mktemp("inventory") / "example-production")
    shutil.copytree(INVENTORY, copy)
    with open(os.path.join(copy, "group_vars", "all", "zz_monitoring_role.yml"), "w", encoding="utf-8") as out:
        for name in ("defaults", "vars"):
            with open(os.path.join(ROLE, name, "main.yml"), encoding="utf-8") as handle:
                out.write(handle.read().replace("---\n", "", 1) if name == "vars" else handle.read())
    return copy


def render(inventory, out, template, *extra):
    res = subprocess.run(
        [
            tool("ansible"),
            MONITORING_HOST,
            "-i",
            inventory,
            "-c",
            "local",
            "-m",
            "ansible.builtin.template",
            "-a",
            f"src={ROLE}/templates/{template} dest={out}/{template[:-3]}",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return os.path.join(out, template[:-3])


@pytest.fixture(scope="module")
def config(tmp_path_factory, inventory):
    out = str(tmp_path_factory.mktemp("prometheus"))
    rules = render(inventory, out, "alerts.yml.j2")
    path = render(inventory, out, "prometheus.yml.j2")
    with open(path, encoding="utf-8") as handle:
        text = handle.read().replace("/etc/prometheus/rules/bioimage-omero.yml", rules)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def targets(data, job):
    for scrape in data["scrape_configs"]:
        if scrape["job_name"] == job:
            return sorted(
                (t, group["labels"]["environment"], group["labels"].get("host", ""))
                for group in scrape["static_configs"]
                for t in group["targets"]
            )
    return None


def test_promtool_accepts_the_configuration(config):
    res = subprocess.run([tool("promtool"), "check", "config", config], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_targets_of_both_environments_with_their_labels(config):
    with open(config, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert targets(data, "postgres") == [
        ("newprod-database.internal.example.org:9187", "newprod", "newprod-database.internal.example.org"),
        ("prod-database.internal.example.org:9187", "prod", "prod-database.internal.example.org"),
    ]
    node = targets(data, "node")
    assert len(node) == 11  # 5 prod + 5 newprod hosts + the monitoring host (the front group is empty)
    assert (f"{MONITORING_HOST}:9100", "shared", MONITORING_HOST) in node
    assert ("newprod-omero-ro2.internal.example.org:9100", "newprod", "newprod-omero-ro2.internal.example.org") in node
    assert [t[1] for t in targets(data, "mtail")] == ["newprod", "prod"]
    assert targets(data, "backend")[0] == (
        "http://newprod-omero-ro1.internal.example.org:80/api/",
        "newprod",
        "newprod-omero-ro1.internal.example.org",
    )
    assert targets(data, "public") == [("https://omero.example.org/api/", "live", "")]
    assert [t[0] for t in targets(data, "site")] == [
        "https://newprod-proxy.internal.example.org/api/",
        "https://prod-proxy.internal.example.org/api/",
    ]
    for job in ("prometheus", "alertmanager", "blackbox"):
        assert targets(data, job)[0][0].startswith("127.0.0.1:")


def test_alertmanager_routes_to_the_inventory_receivers(tmp_path, inventory):
    path = render(
        inventory,
        str(tmp_path),
        "alertmanager.yml.j2",
        "-e",
        '{"monitoring_alert_webhooks": ["https://chat.example.org/hook"]}',
    )
    res = subprocess.run([tool("amtool"), "check-config", path], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    receiver = data["receivers"][0]
    assert data["route"]["receiver"] == receiver["name"]
    assert [c["to"] for c in receiver["email_configs"]] == ["omero-admins@example.org"]
    assert [c["url"] for c in receiver["webhook_configs"]] == ["https://chat.example.org/hook"]
    assert data["global"]["smtp_smarthost"] == "smtp.example.org:587"


def test_the_nginx_exporter_of_every_proxy_is_scraped_by_default(config):
    # The proxy role serves stub_status on 127.0.0.1:8091 by default, so the exporter is on.
    with open(config, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert targets(data, "nginx") == [
        ("newprod-proxy.internal.example.org:9113", "newprod", "newprod-proxy.internal.example.org"),
        ("prod-proxy.internal.example.org:9113", "prod", "prod-proxy.internal.example.org"),
    ]


def test_no_nginx_job_when_the_proxy_serves_no_stub_status(tmp_path, inventory):
    path = render(inventory, str(tmp_path), "prometheus.yml.j2", "-e", '{"proxy_stub_status_port": 0}')
    with open(path, encoding="utf-8") as handle:
        assert targets(yaml.safe_load(handle), "nginx") is None


def test_omero_web_metrics_are_scraped_only_where_switched_on(tmp_path, inventory):
    with open(render(inventory, str(tmp_path), "prometheus.yml.j2"), encoding="utf-8") as handle:
        assert targets(yaml.safe_load(handle), "omero_web") is None
    path = render(inventory, str(tmp_path), "prometheus.yml.j2", "-e", '{"omero_web_metrics": true}')
    with open(path, encoding="utf-8") as handle:
        web = targets(yaml.safe_load(handle), "omero_web")
    assert ("prod-omero-ro1.internal.example.org:9119", "prod", "prod-omero-ro1.internal.example.org") in web
    assert {t[0].split(":")[1] for t in web} == {"9119"}
    assert len(web) == 6  # the omero hosts of prod and newprod (one read-write, two read-only each)
