# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mtail program of the proxy's access log, generated from the proxy role's cache zones.

Rendered by Ansible from the monitoring role's template with the proxy role's default zones,
compiled and run by Debian's mtail (``--one_shot``) on log lines in the proxy's
``omero_proxy`` format: each request is counted in the first zone whose regex matches, as nginx
picks the location.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))

LOG = """\
10.0.0.1 [07/Dec/2026:08:00:00 +0000] "GET /webgateway/render_thumbnail/1/ HTTP/1.1" 200 123 "-" "curl/8.5" \
cache=HIT upstream=- rt=0.001 urt=-
10.0.0.1 [07/Dec/2026:08:00:01 +0000] "GET /webclient/render_image/1/0/0/?c=1 HTTP/2.0" 200 5000 "https://x/" \
"Mozilla/5.0 (X11)" cache=MISS upstream=10.1.1.1:80, 10.1.1.2:80 rt=0.250 urt=0.100, 0.150
10.0.0.1 [07/Dec/2026:08:00:02 +0000] "GET /webclient/api/annotations/ HTTP/1.1" 502 10 "-" "-" \
cache=MISS upstream=10.1.1.1:80 rt=0.010 urt=0.010
10.0.0.1 [07/Dec/2026:08:00:03 +0000] "GET /api/v0/m/projects/ HTTP/1.1" 200 10 "-" "-" \
cache=EXPIRED upstream=10.1.1.1:80 rt=0.010 urt=0.010
10.0.0.1 [07/Dec/2026:08:00:04 +0000] "POST /webclient/login/ HTTP/1.1" 503 10 "-" "-" cache=- upstream=- rt=0.000 urt=-
"""


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: testbed/setup-host.sh installs it (Debian package)")
    return path


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("mtail")
    res = subprocess.run(
        [
            tool("ansible"),
            "localhost",
            "-c",
            "local",
            "-m",
            "ansible.builtin.template",
            "-a",
            f"src={ROOT}/roles/monitoring/templates/omero_proxy.mtail.j2 dest={out}/omero_proxy.mtail",
            "-e",
            f"@{ROOT}/roles/monitoring/defaults/main.yml",
            "-e",
            f"@{ROOT}/roles/proxy/defaults/main.yml",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false"),
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def test_the_proxy_log_format_has_what_the_program_reads():
    with open(os.path.join(ROOT, "roles", "proxy", "templates", "nginx.conf.j2"), encoding="utf-8") as handle:
        text = handle.read()
    fmt = "".join(re.findall(r"'([^']*)'", text[text.index("log_format omero_proxy") : text.index("access_log")]))
    # The request line is $request, or the proxy's $omero_log_request: the same "METHOD URI PROTOCOL"
    # with the query replaced when it carried credentials; the Referer likewise ($omero_log_referer).
    assert re.match(
        r'\$remote_addr \[\$time_local\] "\$(request|omero_log_request)" \$status \$body_bytes_sent '
        r'"\$(http_referer|omero_log_referer)" "\$http_user_agent"',
        fmt,
    )
    assert '"$request_method $uri?[credentials removed] $server_protocol"' in text
    assert "cache=$upstream_cache_status upstream=$upstream_addr rt=$request_time " in fmt


def test_program_compiles(program_dir):
    res = subprocess.run(
        [tool("mtail"), "--compile_only", "--progs", str(program_dir), "--logtostderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr


def test_requests_are_counted_in_the_first_matching_zone(program_dir, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(LOG)
    res = subprocess.run(
        [
            tool("mtail"),
            "--one_shot",
            "--one_shot_format",
            "prometheus",
            "--progs",
            str(program_dir),
            "--logs",
            str(log),
            "--logtostderr",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    counted = {}
    for line in res.stdout.splitlines():
        match = re.match(r"^omero_proxy_requests_total\{(.*)\} (\S+)$", line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            counted[(labels["zone"], labels["cache_status"], labels["status"])] = float(match.group(2))
    assert counted == {
        ("thumbnails", "HIT", "200"): 1,
        ("render", "MISS", "200"): 1,  # two upstreams tried: still one line, one request
        ("metadata", "MISS", "502"): 1,
        ("api", "EXPIRED", "200"): 1,
        ("none", "-", "503"): 1,
    }
