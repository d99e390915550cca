# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worker's pure parts: rsync listings, the completeness rule, `omero import -f` output, templates."""

from __future__ import annotations

import time

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _import_worker as w

LISTING = """\
drwxr-sr-x          4,096 2026/12/07 09:00:00 .
-rw-r--r--              0 2026/12/07 09:00:05 .import-ready
-rw-r--r--      1,234,567 2026/12/07 09:00:01 a.tif
drwxr-sr-x          4,096 2026/12/07 09:00:00 plate
-rw-r--r--             10 2026/12/07 09:00:02 plate/w 1.tif
lrwxrwxrwx              5 2026/12/07 09:00:02 link -> a.tif
"""


def test_parse_listing():
    entries = w.parse_listing(LISTING)
    assert entries["a.tif"][:2] == ("-", 1234567)
    assert entries["plate/w 1.tif"][0] == "-"
    assert entries["link"][0] == "l"
    assert entries["plate"][0] == "d"


def test_completeness_marker_and_quiescence():
    entries = w.parse_listing(LISTING)
    newest = max(v[2] for k, v in entries.items() if v[0] != "d")
    assert w.completeness(entries, ".import-ready", 0, newest)[0]
    no_marker = {k: v for k, v in entries.items() if k != ".import-ready"}
    newest = max(v[2] for v in no_marker.values() if v[0] != "d")
    ok, why = w.completeness(no_marker, ".import-ready", 600, newest + 10)
    assert not ok and "quiescence" in why
    assert w.completeness(no_marker, ".import-ready", 600, newest + 600)[0]
    ok, why = w.completeness(no_marker, ".import-ready", 0, newest + 10**6)
    assert not ok and "marker" in why
    assert not w.completeness({".": ("d", 0, 0.0)}, ".import-ready", 60, time.time())[0]


def test_signature_ignores_the_marker():
    entries = w.parse_listing(LISTING)
    without = {k: v for k, v in entries.items() if k != ".import-ready"}
    assert w.signature(entries, ".import-ready") == w.signature(without, ".import-ready")
    changed = dict(without, **{"a.tif": ("-", 1, 0.0)})
    assert w.signature(changed, ".import-ready") != w.signature(without, ".import-ready")


def test_parse_filesets():
    out = (
        "# Group: /st/1/a.tif SPW: false Reader: loci.formats.in.TiffReader\n/st/1/a.tif\n"
        "#======================================\n"
        "# Group: /st/1/plate/x.db SPW: true Reader: loci.formats.in.MetaxpressReader\n"
        "/st/1/plate/x.db\n/st/1/plate/x_A01.tif\n"
        "# Group: /st/1/c.tif SPW: false Reader: loci.formats.in.TiffReader\n"
    )
    assert w.parse_filesets(out, "/st/1") == {
        "a.tif": ["/st/1/a.tif"],
        "plate/x.db": ["/st/1/plate/x.db", "/st/1/plate/x_A01.tif"],
        "c.tif": ["/st/1/c.tif"],
    }
    with pytest.raises(ValueError, match="outside"):
        w.parse_filesets("# Group: /elsewhere/a SPW: false Reader: r\n", "/st/1")


def test_fill_never_builds_a_shell_string():
    argv = w.fill(
        "{omero} import -u {user} -T {target} -- {path}",
        {"omero": "/v/bin/omero", "user": "alice", "target": "Dataset:name:a b; rm -rf /", "path": "/st/1/x y.tif"},
    )
    assert argv == ["/v/bin/omero", "import", "-u", "alice", "-T", "Dataset:name:a b; rm -rf /", "--", "/st/1/x y.tif"]


def test_rsync_uses_the_pinned_key_and_host_key():
    worker = w.Worker({"sync": {"host": "buf", "user": "omero-sync", "key": "/k", "known_hosts": "/kh"}}, "1")
    base = worker.rsync_base()
    assert base[0] == "rsync" and "StrictHostKeyChecking=yes" in base[2] and "UserKnownHostsFile=/kh" in base[2]
    assert worker.remote("lab1/alice/exp1") == "omero-sync@buf:lab1/alice/exp1/"


def test_housekeeping_writes_the_metrics_file(fresh_db, tmp_path, capsys):
    import json

    from ansible_collections.bioimage.omero.plugins.module_utils import _import_worker_cli as cli

    config = tmp_path / "worker.json"
    metrics = tmp_path / "omero_import.prom"
    config.write_text("# managed\n" + json.dumps({"database": fresh_db, "metrics_file": str(metrics)}))
    assert cli.main(["housekeeping", "--config", str(config)]) == 0
    text = metrics.read_text()
    assert 'omero_import_requests{state="failed"} 0' in text and "omero_import_running 0" in text
    assert oct(metrics.stat().st_mode & 0o777) == "0o644"
    assert cli.main(["status", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["queued"] == 0
