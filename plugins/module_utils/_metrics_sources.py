# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's own state as metric families (no Ansible needed).

Each ``*_families`` function reads one source the collection's operations leave on a host and
returns metric families (``_metrics_text.Family``):

- the backup status file written by ``omero-backup`` (``_backup_store.update_status``);
- the proxy's maintenance flag (``_maintenance``);
- the front's release state file (which environment is live);
- the Bio-Formats cache regeneration queue (``_cache_queue``), through the node's worker.json.

A source that cannot be read gives a ``*_readable 0`` sample instead of an exception, so one
broken file never hides the others.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.bioimage.omero.plugins.module_utils._metrics_text import Family

PREFIX = "bioimage_omero_"


def parse_timestamp(text: Any) -> Optional[float]:
    """'2026-11-21T20:00:00Z' (or any ISO 8601 with offset) -> Unix seconds; None if absent or bad."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_text(path: str) -> Optional[str]:
    """The file's text, or None when it does not exist. Other errors propagate."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None


def readable_family(source: str) -> Family:
    return Family(f"{PREFIX}{source}_readable", "gauge", f"1 if the {source} source could be read, else 0")


# --------------------------------------------------------------------------- backups
def backup_families(path: str) -> List[Family]:
    """One sample set per action of the status file (dump, verify, drill, prune, data_run...)."""
    readable = readable_family("backup_status")
    ok = Family(f"{PREFIX}backup_ok", "gauge", "1 if the last run of the backup action succeeded, 0 if it failed")
    last_run = Family(f"{PREFIX}backup_last_run_timestamp_seconds", "gauge", "when the backup action last ran")
    last_success = Family(
        f"{PREFIX}backup_last_success_timestamp_seconds", "gauge", "when the backup action last succeeded"
    )
    duration = Family(f"{PREFIX}backup_duration_seconds", "gauge", "duration of the last successful run")
    size = Family(f"{PREFIX}backup_size_bytes", "gauge", "size of what the last successful run stored")
    families = [readable, ok, last_run, last_success, duration, size]
    try:
        text = read_text(path)
        status = json.loads(text) if text is not None else {}
        if not isinstance(status, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError):
        readable.add(0, path=path)
        return families
    readable.add(1, path=path)
    for action in sorted(status):
        entry = status[action]
        if not isinstance(entry, dict):
            continue  # "updated" and future scalar keys
        ok.add(1 if entry.get("ok") else 0, action=action)
        last_run.add(parse_timestamp(entry.get("time")), action=action)
        last_success.add(parse_timestamp(entry.get("last_success")), action=action)
        if entry.get("ok"):
            duration.add(number(entry.get("seconds")), action=action)
            size.add(number(entry.get("size", entry.get("total_bytes"))), action=action)
    return families


# --------------------------------------------------------------------------- maintenance
def maintenance_families(path: str) -> List[Family]:
    """The flag is on when the file exists; since/until come from its JSON when it has them."""
    from ansible_collections.bioimage.omero.plugins.module_utils._maintenance import read_flag

    readable = readable_family("maintenance_flag")
    enabled = Family(f"{PREFIX}maintenance_enabled", "gauge", "1 while the proxy's maintenance flag is on")
    since = Family(f"{PREFIX}maintenance_since_timestamp_seconds", "gauge", "when maintenance was switched on")
    until = Family(f"{PREFIX}maintenance_until_timestamp_seconds", "gauge", "the announced end of maintenance")
    families = [readable, enabled, since, until]
    try:
        text = read_text(path)
    except OSError:
        readable.add(0, path=path)
        return families
    readable.add(1, path=path)
    flag = read_flag(text)
    enabled.add(1 if flag["state"] == "on" else 0)
    since.add(parse_timestamp(flag["since"]))
    until.add(parse_timestamp(flag["until"]))
    return families


# --------------------------------------------------------------------------- release
def release_families(path: str) -> List[Family]:
    """The front's state file: {"live": ENV, "previous": ENV}."""
    readable = readable_family("release_state")
    live = Family(f"{PREFIX}release_live", "gauge", "1 for the environment the public address points to")
    families = [readable, live]
    try:
        text = read_text(path)
        state = json.loads(text) if text is not None else {}
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError):
        readable.add(0, path=path)
        return families
    readable.add(1, path=path)
    if isinstance(state.get("live"), str) and state["live"]:
        live.add(1, environment=state["live"])
    if isinstance(state.get("previous"), str) and state["previous"] and state["previous"] != state.get("live"):
        live.add(0, environment=state["previous"])
    return families


# --------------------------------------------------------------------------- cache regeneration
def read_worker_config(path: str) -> Dict[str, Any]:
    """worker.json of the omero_cache_regen role: '#' comment lines, then JSON."""
    text = read_text(path)
    if text is None:
        raise OSError(f"{path} does not exist")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("database"), dict):
        raise ValueError(f"{path} has no database section")
    return data


def cache_status_families(statuses: List[Dict[str, Any]]) -> List[Family]:
    """Families from ``_cache_report.status`` results of the runs that are running."""
    targets = Family(f"{PREFIX}cache_regen_targets", "gauge", "targets of a running regeneration run, by status")
    remaining = Family(f"{PREFIX}cache_regen_remaining", "gauge", "targets not finished yet (pending or running)")
    finished = Family(f"{PREFIX}cache_regen_finished", "gauge", "targets finished (done or failed)")
    eta = Family(f"{PREFIX}cache_regen_eta_seconds", "gauge", "estimated seconds until the run is finished")
    node_done = Family(f"{PREFIX}cache_regen_node_done", "gauge", "targets a node regenerated in the run")
    node_failed = Family(f"{PREFIX}cache_regen_node_failed", "gauge", "targets that failed on a node in the run")
    node_rate = Family(f"{PREFIX}cache_regen_node_targets_per_minute", "gauge", "a node's regeneration rate")
    for status in statuses:
        run = str(status["run"])
        counts = status.get("counts") or {}
        for name in sorted(counts):
            targets.add(number(counts[name]), run=run, status=name)
        remaining.add(float(counts.get("pending", 0) + counts.get("running", 0)), run=run)
        finished.add(number(status.get("finished")), run=run)
        eta.add(number(status.get("eta_seconds")), run=run)
        for node, info in sorted((status.get("nodes") or {}).items()):
            node_done.add(number(info.get("done")), run=run, node=node)
            node_failed.add(number(info.get("failed")), run=run, node=node)
            node_rate.add(number(info.get("targets_per_minute")), run=run, node=node)
    return [targets, remaining, finished, eta, node_done, node_failed, node_rate]


def cache_regen_families(path: str, connect: Optional[Callable[[Dict[str, Any]], Any]] = None) -> List[Family]:
    """Progress of every running run of the queue named by the worker configuration ``path``."""
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_report as report
    from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as schema

    readable = readable_family("cache_regen_queue")
    statuses: List[Dict[str, Any]] = []
    try:
        config = read_worker_config(path)
        params = dict(config["database"])
        params.setdefault("application_name", "omero-metrics")
        conn = (connect or schema.connect)(params)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT name FROM cache_regen_run WHERE state = 'running' "
                    "AND EXISTS (SELECT 1 FROM cache_regen_target t WHERE t.run = name) ORDER BY name"
                )
                runs = [row[0] for row in cur.fetchall()]
                statuses = [report.status(cur, run) for run in runs]
        finally:
            conn.close()
    except Exception:  # any failure (file, driver, server) is "not readable", never a crash
        readable.add(0, path=path)
        return [readable]
    readable.add(1, path=path)
    return [readable, *cache_status_families(statuses)]
