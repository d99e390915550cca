# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``omero-import-worker``: the import worker's command line on the read-write node.

omero-import-worker run SLOT [--config PATH]     one worker slot (systemd: omero-import-worker@SLOT)
omero-import-worker housekeeping [--config PATH] staging copies whose buffer copy is gone, metrics file
omero-import-worker status [--config PATH]       the queue's counts as JSON
"""

from __future__ import annotations

import argparse
import json
import signal
import sys

from . import _import_queue as q
from . import _import_worker as w
from ._cache_schema import connect

DEFAULT_CONFIG = "/etc/omero-import/worker.json"


def read_config(path):
    """JSON after leading ``#`` comment lines (the role's header)."""
    with open(path, encoding="utf-8") as fh:
        return json.loads("".join(line for line in fh if not line.lstrip().startswith("#")))


def main(argv, connect_fn=connect):
    parser = argparse.ArgumentParser(prog="omero-import-worker")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one worker slot until stopped")
    run.add_argument("slot")
    for p in (run, sub.add_parser("housekeeping"), sub.add_parser("status")):
        p.add_argument("--config", default=DEFAULT_CONFIG)
    args = parser.parse_args(argv)
    config = read_config(args.config)
    if args.command == "run":
        worker = w.Worker(config, args.slot, connect_fn=connect_fn)
        signal.signal(signal.SIGTERM, worker.request_stop)
        signal.signal(signal.SIGINT, worker.request_stop)
        return worker.run_loop()
    conn = connect_fn(config["database"])
    try:
        q.ensure_schema(conn, config.get("reader_role"))
        if args.command == "status":
            with conn, conn.cursor() as cur:
                sys.stdout.write(json.dumps(q.metrics(cur), indent=2, sort_keys=True) + "\n")
            return 0
        status = 0
        try:
            w.prune(conn, config)
        except Exception as exc:  # the metrics below must still be written
            sys.stderr.write(f"omero-import-worker: pruning staging copies failed: {exc}\n")
            status = 1
        if config.get("metrics_file"):
            w.write_metrics(conn, config["metrics_file"])
        return status
    finally:
        conn.close()
