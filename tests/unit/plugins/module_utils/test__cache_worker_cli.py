# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The omero-cache-regen-worker command: arguments, its configuration file, a real run."""

from __future__ import annotations

import json
import signal

from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as q
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_report as cache_report
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cache_schema
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_worker_cli as cli


def test_wrong_argument_count_prints_the_usage(capsys):
    assert cli.main([]) == 2
    assert cli.main(["1"]) == 2
    assert cli.main(["1", "/etc/x.json", "extra"]) == 2
    assert "usage: omero-cache-regen-worker SLOT CONFIG" in capsys.readouterr().err


def test_unreadable_or_broken_configuration_is_refused(tmp_path, capsys):
    assert cli.main(["1", str(tmp_path / "missing.json")]) == 2
    broken = tmp_path / "worker.json"
    broken.write_text("# managed\n{not json\n")
    assert cli.main(["1", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "missing.json" in err
    assert str(broken) in err


def test_a_slot_works_the_queue_from_the_role_written_configuration(fresh_db, tmp_path, capsys):
    c = cache_schema.connect(fresh_db)
    cache_schema.ensure_schema(c)
    with c, c.cursor() as cur:
        q.start_run(cur, "r", ["Image:1", "Image:2"])
    c.close()
    config = tmp_path / "worker.json"
    # The layout worker.json.j2 renders: ansible_managed comment lines, then JSON.
    body = {"node": "n1", "database": fresh_db, "command": "/bin/echo ok: {target}", "poll_seconds": 0.2}
    config.write_text("#\n# Ansible managed\n#\n# Read by omero-cache-regen-worker\n" + json.dumps(body, indent=2))
    before = signal.getsignal(signal.SIGTERM)
    try:
        assert cli.main(["1", str(config)]) == 0
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert "n1/1/" in capsys.readouterr().out
    c = cache_schema.connect(fresh_db)
    with c, c.cursor() as cur:
        assert cache_report.status(cur, "r")["counts"]["done"] == 2
    c.close()
