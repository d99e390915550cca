# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``omero-metrics`` command run by the monitoring role's systemd timer.

``omero-metrics [--config FILE]`` reads the sources listed in the JSON file the role writes
(the backup status file, the maintenance flag, the front's release state, the cache regeneration
worker configuration), and writes their state in Prometheus text format into node exporter's
textfile directory, atomically. It exits non-zero only when the output cannot be written: a
source that cannot be read is reported as ``bioimage_omero_<source>_readable 0``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Dict, List, Optional

from ansible_collections.bioimage.omero.plugins.module_utils import _metrics_sources as sources
from ansible_collections.bioimage.omero.plugins.module_utils._metrics_text import Family, render, write_atomically

SOURCES = {
    "backup_status_file": sources.backup_families,
    "maintenance_flag": sources.maintenance_families,
    "release_state_file": sources.release_families,
    "cache_regen_config": sources.cache_regen_families,
}


class ConfigError(Exception):
    pass


def load_config(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    if not isinstance(data.get("output"), str) or not data["output"].endswith(".prom"):
        raise ConfigError(f"{path}: 'output' must be the path of a .prom file in node exporter's textfile directory")
    unknown = set(data) - set(SOURCES) - {"output"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; known: output, {', '.join(sorted(SOURCES))}")
    return data


def collect(config: Dict[str, Any], now: Optional[float] = None) -> str:
    """The exposition text for everything the configuration names."""
    families: List[Family] = []
    for key, reader in SOURCES.items():
        if config.get(key):
            families.extend(reader(config[key]))
    last_run = Family(f"{sources.PREFIX}metrics_last_run_timestamp_seconds", "gauge", "when omero-metrics last ran")
    last_run.add(time.time() if now is None else now)
    return render([*families, last_run])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="omero-metrics", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", default="/etc/omero-metrics/config.json", help="JSON written by the role")
    parser.add_argument("--print", action="store_true", help="print the metrics instead of writing the file")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        text = collect(config)
        if args.print:
            sys.stdout.write(text)
        else:
            write_atomically(config["output"], text)
    except (ConfigError, OSError) as exc:
        sys.stderr.write(f"omero-metrics FAILED: {exc}\n")
        return 1
    return 0
