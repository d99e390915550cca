# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero-metrics: the collection's state in Prometheus text format, read back by promtool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_store as store
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as q
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as schema
from ansible_collections.bioimage.omero.plugins.module_utils import _maintenance as maint
from ansible_collections.bioimage.omero.plugins.module_utils import _metrics_cli as cli
from ansible_collections.bioimage.omero.plugins.module_utils import _metrics_sources as src
from ansible_collections.bioimage.omero.plugins.module_utils._metrics_text import Family, render


def samples(text, name):
    """{frozenset(labels): value} of one metric, parsed from exposition text."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        head, value = line.rsplit(" ", 1)
        labels = frozenset()
        if "{" in head:
            inner = head[head.index("{") + 1 : -1]
            labels = frozenset(tuple(part.split("=", 1)) for part in inner.split(","))
            labels = frozenset((k, v.strip('"')) for k, v in labels)
        out[labels] = float(value)
    return out


def lint(text):
    """promtool check metrics: the exposition is valid for Prometheus (when promtool is installed)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: testbed/setup-host.sh installs Debian's prometheus package")
    res = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    # "no help text"/naming lints are warnings on stdout; a parse error is fatal (exit 3 with "error").
    assert "error while linting" not in res.stdout + res.stderr, res.stdout + res.stderr


def write_config(tmp_path, **values):
    values.setdefault("output", str(tmp_path / "out" / "bioimage_omero.prom"))
    os.makedirs(os.path.dirname(values["output"]), exist_ok=True)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(values))
    return str(path), values["output"]


# --------------------------------------------------------------------------- text format
def test_render_escapes_labels_and_skips_empty_families():
    fam = Family("x_total", "counter", 'a "help"\nline')
    fam.add(3, path='C:\\dir "q"\nz')
    fam.add(None, path="unknown values add nothing")
    empty = Family("y", "gauge", "no samples")
    text = render([fam, empty])
    assert text == ('# HELP x_total a "help"\\nline\n# TYPE x_total counter\nx_total{path="C:\\\\dir \\"q\\"\\nz"} 3\n')
    lint(text)


@pytest.mark.parametrize("bad", [("1abc", "gauge"), ("ok", "histogram")])
def test_bad_family_is_refused(bad):
    with pytest.raises(ValueError):
        Family(bad[0], bad[1], "h")


def test_bad_label_is_refused():
    with pytest.raises(ValueError, match="label"):
        Family("x", "gauge", "h").add(1, **{"bad-label": "v"})


# --------------------------------------------------------------------------- backups
def test_backup_status_written_by_the_backup_code(tmp_path):
    status = str(tmp_path / "status.json")
    store.update_status(status, "dump", {"ok": True, "size": 1234, "seconds": 5.5, "time": "2026-11-21T02:00:00Z"})
    store.update_status(status, "dump", {"ok": False, "message": "boom", "time": "2026-11-22T02:00:00Z"})
    store.update_status(status, "drill", {"ok": True, "seconds": 60, "time": "2026-11-20T03:00:00Z"})
    store.update_status(status, "data_run", {"ok": True, "total_bytes": 99, "time": "2026-11-22T04:00:00Z"})
    config = write_config(tmp_path, backup_status_file=status)[0]
    text = cli.collect(cli.load_config(config), now=1.0)
    lint(text)
    ok = samples(text, "bioimage_omero_backup_ok")
    assert ok == {
        frozenset({("action", "dump")}): 0,
        frozenset({("action", "drill")}): 1,
        frozenset({("action", "data_run")}): 1,
    }
    last_success = samples(text, "bioimage_omero_backup_last_success_timestamp_seconds")
    assert last_success[frozenset({("action", "dump")})] == src.parse_timestamp("2026-11-21T02:00:00Z")
    last_run = samples(text, "bioimage_omero_backup_last_run_timestamp_seconds")
    assert last_run[frozenset({("action", "dump")})] == src.parse_timestamp("2026-11-22T02:00:00Z")
    # a failed run reports no duration/size; successful ones do (dump size, restic total_bytes)
    assert samples(text, "bioimage_omero_backup_size_bytes") == {frozenset({("action", "data_run")}): 99}
    assert samples(text, "bioimage_omero_backup_duration_seconds") == {frozenset({("action", "drill")}): 60}
    assert samples(text, "bioimage_omero_backup_status_readable") == {frozenset({("path", status)}): 1}
    assert samples(text, "bioimage_omero_metrics_last_run_timestamp_seconds") == {frozenset(): 1}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_unreadable_backup_status_is_reported_not_raised(tmp_path, content):
    status = tmp_path / "status.json"
    status.write_text(content)
    text = cli.collect({"backup_status_file": str(status)}, now=1.0)
    assert samples(text, "bioimage_omero_backup_status_readable") == {frozenset({("path", str(status))}): 0}
    assert samples(text, "bioimage_omero_backup_ok") == {}


def test_missing_backup_status_means_no_backup_ran_yet(tmp_path):
    text = cli.collect({"backup_status_file": str(tmp_path / "none.json")}, now=1.0)
    assert samples(text, "bioimage_omero_backup_status_readable") == {
        frozenset({("path", str(tmp_path / "none.json"))}): 1
    }
    assert samples(text, "bioimage_omero_backup_ok") == {}


# --------------------------------------------------------------------------- maintenance
def test_maintenance_flag_from_the_maintenance_code(tmp_path):
    flag = tmp_path / "flag"
    config = {"maintenance_flag": str(flag)}
    text = cli.collect(config, now=1.0)
    assert samples(text, "bioimage_omero_maintenance_enabled") == {frozenset(): 0}
    flag.write_text(maint.desired_flag(None, "upgrade", "2026-11-21T20:00:00Z", 600, "2026-11-21T18:00:00Z"))
    text = cli.collect(config, now=1.0)
    lint(text)
    assert samples(text, "bioimage_omero_maintenance_enabled") == {frozenset(): 1}
    assert samples(text, "bioimage_omero_maintenance_since_timestamp_seconds") == {
        frozenset(): src.parse_timestamp("2026-11-21T18:00:00Z")
    }
    assert samples(text, "bioimage_omero_maintenance_until_timestamp_seconds") == {
        frozenset(): src.parse_timestamp("2026-11-21T20:00:00Z")
    }
    flag.write_text("")  # touched by hand: on, no details
    text = cli.collect(config, now=1.0)
    assert samples(text, "bioimage_omero_maintenance_enabled") == {frozenset(): 1}
    assert samples(text, "bioimage_omero_maintenance_until_timestamp_seconds") == {}


# --------------------------------------------------------------------------- release
def test_live_environment_from_the_front_state(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"live": "newprod", "previous": "prod"}))
    text = cli.collect({"release_state_file": str(state)}, now=1.0)
    lint(text)
    assert samples(text, "bioimage_omero_release_live") == {
        frozenset({("environment", "newprod")}): 1,
        frozenset({("environment", "prod")}): 0,
    }
    state.write_text("garbage")
    text = cli.collect({"release_state_file": str(state)}, now=1.0)
    assert samples(text, "bioimage_omero_release_state_readable") == {frozenset({("path", str(state))}): 0}


def test_timestamps():
    assert src.parse_timestamp("1970-01-01T00:01:00Z") == 60
    assert src.parse_timestamp("1970-01-01T01:01:00+01:00") == 60
    assert src.parse_timestamp("1970-01-01T00:01:00") == 60
    assert src.parse_timestamp("yesterday") is None
    assert src.parse_timestamp(None) is None


# --------------------------------------------------------------------------- cache regeneration (real PostgreSQL)
def test_cache_regen_progress_from_the_real_queue(tmp_path, fresh_db):
    conn = schema.connect(fresh_db)
    schema.ensure_schema(conn)
    with conn, conn.cursor() as cur:
        q.start_run(cur, "r1", ["Image:1", "Image:2", "Image:3"])
        q.start_run(cur, "stopped", ["Image:9"])
        q.set_state(cur, "stopped", "stopped")
    job = q.claim(conn, "node-a", "w1")
    q.finish(conn, job, "w1", True, "ok", 2.0, "ok: 1")
    conn.close()
    worker = tmp_path / "worker.json"
    worker.write_text("# written by the role\n" + json.dumps({"node": "node-a", "database": fresh_db}))
    text = cli.collect({"cache_regen_config": str(worker)}, now=1.0)
    lint(text)
    assert samples(text, "bioimage_omero_cache_regen_queue_readable") == {frozenset({("path", str(worker))}): 1}
    assert samples(text, "bioimage_omero_cache_regen_remaining") == {frozenset({("run", "r1")}): 2}
    assert samples(text, "bioimage_omero_cache_regen_finished") == {frozenset({("run", "r1")}): 1}
    assert samples(text, "bioimage_omero_cache_regen_node_done") == {frozenset({("run", "r1"), ("node", "node-a")}): 1}
    targets = samples(text, "bioimage_omero_cache_regen_targets")
    assert targets[frozenset({("run", "r1"), ("status", "pending")})] == 2
    assert targets[frozenset({("run", "r1"), ("status", "done")})] == 1


def test_cache_regen_unreachable_queue_is_reported(tmp_path):
    worker = tmp_path / "worker.json"
    worker.write_text(json.dumps({"database": {"host": str(tmp_path), "port": 1, "dbname": "x"}}))
    text = cli.collect({"cache_regen_config": str(worker)}, now=1.0)
    assert samples(text, "bioimage_omero_cache_regen_queue_readable") == {frozenset({("path", str(worker))}): 0}


# --------------------------------------------------------------------------- the command
def test_main_writes_the_textfile_atomically(tmp_path):
    flag = tmp_path / "flag"
    flag.write_text("")
    config, output = write_config(tmp_path, maintenance_flag=str(flag))
    assert cli.main(["--config", config]) == 0
    with open(output, encoding="utf-8") as handle:
        assert samples(handle.read(), "bioimage_omero_maintenance_enabled") == {frozenset(): 1}
    assert oct(os.stat(output).st_mode & 0o777) == "0o644"
    assert sorted(os.listdir(os.path.dirname(output))) == ["bioimage_omero.prom"]  # no temporary left


def test_main_print(tmp_path, capsys):
    config, output = write_config(tmp_path)
    assert cli.main(["--config", config, "--print"]) == 0
    assert "bioimage_omero_metrics_last_run_timestamp_seconds" in capsys.readouterr().out
    assert not os.path.exists(output)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"output": "/tmp/x.txt"}, "'output' must be"),
        ({"output": "/tmp/x.prom", "backup_status": "/x"}, "unknown keys"),
    ],
)
def test_main_refuses_bad_configuration(tmp_path, capsys, values, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(values))
    assert cli.main(["--config", str(path)]) == 1
    assert message in capsys.readouterr().err


def test_main_fails_when_the_output_cannot_be_written(tmp_path, capsys):
    config = write_config(tmp_path, output=str(tmp_path / "missing-dir" / "x.prom"))[0]
    os.rmdir(tmp_path / "missing-dir")
    assert cli.main(["--config", config]) == 1
    assert "omero-metrics FAILED" in capsys.readouterr().err


def test_main_missing_config(tmp_path, capsys):
    assert cli.main(["--config", str(tmp_path / "nope.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
