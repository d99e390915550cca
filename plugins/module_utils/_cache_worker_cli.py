# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``omero-cache-regen-worker SLOT CONFIG`` command: one worker slot under systemd.

Installed by the ``host_tools`` role as ``/usr/local/sbin/omero-cache-regen-worker`` and run
by ``omero-cache-regen@SLOT.service``: claims targets from the shared queue, runs the
configured command for each, judges its output and records the result, until no target is
left. SIGTERM and SIGINT make the worker stop its command and give its claim back.
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any, Dict, List

from ansible_collections.bioimage.omero.plugins.module_utils._cache_worker import Worker

USAGE = "usage: omero-cache-regen-worker SLOT CONFIG\n"


def load_config(path: str) -> Dict[str, Any]:
    """The worker configuration: JSON after the comment lines (who manages the file)."""
    with open(path, encoding="utf-8") as handle:
        return json.loads("".join(line for line in handle if not line.lstrip().startswith("#")))


def main(argv: List[str]) -> int:
    """Run one slot; ``argv`` is the argument list without the program name."""
    if len(argv) != 2:
        sys.stderr.write(USAGE)
        return 2
    slot, config_path = argv
    try:
        config = load_config(config_path)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"omero-cache-regen-worker: cannot read {config_path}: {exc}\n")
        return 2
    worker = Worker(config, slot)
    signal.signal(signal.SIGTERM, worker.request_stop)
    signal.signal(signal.SIGINT, worker.request_stop)
    return worker.run()
