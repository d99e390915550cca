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


CONFIG = {"omero": "/opt/omero/server/venv3/bin/omero", "omero_host": "localhost", "omero_port": 4064}


def test_omero_cli_command_lines():
    login = ["-s", "localhost", "-p", "4064", "-u", "alice"]
    assert w.hql_argv(CONFIG, "alice", "select 1") == [
        "/opt/omero/server/venv3/bin/omero", "hql", *login, "-q", "--style", "plain", "--limit", "2", "select 1"
    ]  # fmt: skip
    assert w.obj_new_argv(CONFIG, "alice", "Dataset", name="exp 1") == [
        "/opt/omero/server/venv3/bin/omero", "obj", *login, "-q", "new", "Dataset", "name=exp 1"
    ]  # fmt: skip
    link = w.obj_new_argv(CONFIG, "alice", "ProjectDatasetLink", parent="Project:3", child="Dataset:12")
    assert link[-3:] == ["ProjectDatasetLink", "parent=Project:3", "child=Dataset:12"]


def test_the_import_session_joins_the_target_group():
    assert w.group_of({"target_type": "Project", "target_id": 3}) == "Project:3"
    assert w.group_of({"target_type": "Dataset", "target_id": None, "target_name": "x"}) == ""


class Recorder:
    """Records the command lines the worker builds and answers as the omero CLI prints (no server involved)."""

    def __init__(self, answers):
        self.answers = answers
        self.argvs = []

    def __call__(self, argv, req, logfh, env=None, what="command", quiet=False):
        self.argvs.append(argv)
        return 0, self.answers.pop(0)


@pytest.fixture
def project_request(fresh_db):
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cq
    from ansible_collections.bioimage.omero.plugins.module_utils import _import_queue as q

    conn = cq.connect(fresh_db)
    q.ensure_schema(conn)

    def make(target, dataset=None):
        with conn, conn.cursor() as cur:
            q.submit(cur, q.validate_request("p", "lab1/alice/exp1", "alice", target, dataset=dataset))
        worker = w.Worker(CONFIG, "1")
        worker.conn = conn
        return worker, q.claim(conn, worker.worker, 60)

    yield make
    conn.close()


def test_project_reuses_the_dataset_of_that_name(project_request, tmp_path):
    worker, req = project_request("Project:3")
    worker.run = Recorder(["0,12\n"])
    with open(tmp_path / "log", "w", encoding="utf-8") as log:
        assert worker.project_dataset(req, {}, log) == 12
    assert worker.run.argvs == [w.hql_argv(CONFIG, "alice", w.q.project_dataset_query(3, "exp1"))]
    assert req["resolved_dataset"] == 12


def test_project_creates_records_then_links_the_dataset(project_request, tmp_path):
    worker, req = project_request("Project:3", dataset="day 1")
    worker.run = Recorder(["", "Dataset:40\n", "", "ProjectDatasetLink:5\n"])
    with open(tmp_path / "log", "w", encoding="utf-8") as log:
        assert worker.project_dataset(req, {}, log) == 40
    assert worker.run.argvs == [
        w.hql_argv(CONFIG, "alice", w.q.project_dataset_query(3, "day 1")),
        w.obj_new_argv(CONFIG, "alice", "Dataset", name="day 1"),
        w.hql_argv(CONFIG, "alice", w.q.project_link_query(3, 40)),
        w.obj_new_argv(CONFIG, "alice", "ProjectDatasetLink", parent="Project:3", child="Dataset:40"),
    ]
    # Resumed after a crash: the recorded dataset is reused and its link checked, nothing created again.
    again = w.q.claim(worker.conn, worker.worker, 60)
    assert again["resolved_dataset"] == 40
    worker.run = Recorder(["0,5\n"])
    with open(tmp_path / "log", "a", encoding="utf-8") as log:
        assert worker.project_dataset(again, {}, log) == 40
    assert worker.run.argvs == [w.hql_argv(CONFIG, "alice", w.q.project_link_query(3, 40))]


def test_project_by_name_is_found_or_created(project_request, tmp_path):
    worker, req = project_request("Project:name:P")
    worker.run = Recorder(["", "Project:8\n", "0,12\n"])
    with open(tmp_path / "log", "w", encoding="utf-8") as log:
        assert worker.project_dataset(req, {}, log) == 12
    assert worker.run.argvs[:2] == [
        w.hql_argv(CONFIG, "alice", w.q.project_query("P", "alice")),
        w.obj_new_argv(CONFIG, "alice", "Project", name="P"),
    ]
    assert req["resolved_project"] == 8


def test_project_ambiguous_names_fail(project_request, tmp_path):
    worker, req = project_request("Project:3")
    worker.run = Recorder(["0,12\n1,13\n"])
    with open(tmp_path / "log", "w", encoding="utf-8") as log, pytest.raises(w.Failure, match="several datasets"):
        worker.project_dataset(req, {}, log)


def test_queue_metrics_are_valid_for_prometheus_and_land_in_the_textfile_directory(fresh_db, tmp_path):
    """The exported file parses in promtool, with a running request's age and progress; its default
    path is in the directory the monitoring role's node exporter reads."""
    import os
    import shutil
    import subprocess

    import yaml
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cq

    conn = cq.connect(fresh_db)
    w.q.ensure_schema(conn)
    with conn, conn.cursor() as cur:
        w.q.submit(cur, w.q.validate_request("m", "lab1/alice/exp1", "alice", "Dataset:1"))
    w.q.claim(conn, "w/1", 60)
    metrics = w.write_metrics(conn, str(tmp_path / "omero_import.prom"))
    conn.close()
    text = (tmp_path / "omero_import.prom").read_text()
    assert metrics["running"] == 1 and "omero_import_running 1\n" in text
    assert metrics["oldest_running_last_progress_timestamp"] > 1.7e9
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: testbed/setup-host.sh installs Debian's prometheus package")
    res = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    assert "error while linting" not in res.stdout + res.stderr, res.stdout + res.stderr

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    with open(os.path.join(root, "roles", "import_worker", "defaults", "main.yml"), encoding="utf-8") as fh:
        default = yaml.safe_load(fh)["import_worker_metrics_file"]
    assert default.startswith("{{ monitoring_textfile_dir | default('/var/lib/prometheus/node-exporter') }}/")


def test_a_command_of_a_cancelled_request_is_killed(fresh_db, tmp_path):
    """The lease is renewed while a command runs; once the request is cancelled the command dies (Lost)."""
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cq

    conn = cq.connect(fresh_db)
    w.q.ensure_schema(conn)
    with conn, conn.cursor() as cur:
        w.q.submit(cur, w.q.validate_request("c", "lab1/alice/exp1", "alice", "Dataset:1"))
    worker = w.Worker({"lease_seconds": 3}, "1")
    worker.conn = conn
    req = w.q.claim(conn, worker.worker, 3)
    with open(tmp_path / "log", "w", encoding="utf-8") as log:
        assert worker.run(["sh", "-c", "echo hello"], req, log) == (0, "hello\n")
    with conn, conn.cursor() as cur:
        w.q.cancel(cur, "c")
    start = time.monotonic()
    with open(tmp_path / "log", "a", encoding="utf-8") as log, pytest.raises(w.Lost, match="cancelled"):
        worker.run(["sleep", "60"], req, log)
    assert time.monotonic() - start < 30
    conn.close()
