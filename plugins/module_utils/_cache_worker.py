# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One cache regeneration worker slot: claim, run, judge, record, repeat.

Run on every OMERO node by ``omero-cache-regen-worker`` (``_cache_worker_cli``, installed by
the ``host_tools`` role) under systemd as ``omero-cache-regen@N.service``. It needs no Ansible.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import time

from ansible_collections.bioimage.omero.plugins.module_utils._cache_queue import (
    claim,
    finish,
    heartbeat,
    outstanding,
    release,
)
from ansible_collections.bioimage.omero.plugins.module_utils._cache_schema import connect, ensure_schema
from ansible_collections.bioimage.omero.plugins.module_utils._leased_child import (
    LOST,
    TIMEOUT,
    LeasedChildRunner,
    stdout_log,
)

STATUS_RE = re.compile(r"^\s*(ok|fill|miss|fail|cancel):", re.MULTILINE)
ERROR_RE = re.compile(r"^\s*(Traceback \(most recent call last\)|(ERROR|Error|Exception)\b)", re.MULTILINE)
SUCCESS = ("ok", "fill")


def parse_output(output, returncode):
    """Judge one run of ``omero render test``: it exits 0 even when it fails.

    Every status line must be ``ok:`` or ``fill:``; ``miss:``, ``fail:``,
    ``cancel:``, an error or traceback, no status line at all, or a non-zero
    exit code is a failure. Returns (success, result word).
    """
    if returncode != 0:
        return False, f"exit {returncode}"
    statuses = STATUS_RE.findall(output or "")
    if not statuses:
        return False, "no status line"
    for word in statuses:
        if word not in SUCCESS:
            return False, word
    if ERROR_RE.search(output or ""):
        return False, "error"
    return True, "fill" if "fill" in statuses else "ok"


def build_argv(template, target, omero="omero"):
    """Split the command template (no shell) and fill the placeholders."""
    argv = []
    for arg in shlex.split(template):
        argv.append(arg.replace("{target}", target).replace("{omero}", omero))
    if not any("{target}" in a for a in shlex.split(template)):
        argv.append(target)
    return argv


class Worker(LeasedChildRunner):
    """A single slot. ``config`` is the dict from the node's worker.json."""

    def __init__(self, config, slot, connect_fn=connect, log=stdout_log):
        self.config = config
        self.node = config.get("node") or socket.gethostname()
        self.worker = f"{self.node}/{slot}/{os.getpid()}"
        self.connect_fn = connect_fn
        self.log = log
        self.stopping = False
        self.proc = None
        self.conn = None

    # -- one target ------------------------------------------------------
    def run_job(self, job):
        argv = build_argv(self.config["command"], job["target"], self.config.get("omero", "omero"))
        env = dict(os.environ)
        env.update(self.config.get("environment") or {})
        env.update(
            {
                "OMERO_CACHE_REGEN_RUN": job["run"],
                "OMERO_CACHE_REGEN_TARGET": job["target"],
                "OMERO_CACHE_REGEN_ATTEMPT": str(job["attempt"]),
                "OMERO_CACHE_REGEN_NODE": self.node,
            }
        )
        beat = max(1.0, job["lease_seconds"] / 3.0)
        start = time.monotonic()
        try:
            rc, output, outcome = self.run_child(
                argv, env, beat, lambda: heartbeat(self.conn, job, self.worker), float(self.config.get("timeout") or 0)
            )
        except OSError as exc:
            return False, "error", 0.0, f"cannot run {argv[0]}: {exc}"
        duration = time.monotonic() - start
        if outcome == LOST:
            return None, "lost", duration, output
        if outcome == TIMEOUT:
            return False, "timeout", duration, output
        ok, result = parse_output(output, rc)
        return ok, result, duration, output

    # -- the loop --------------------------------------------------------
    def run(self, max_jobs=None):
        """Work until no target is left (exit 0) or a stop is requested."""
        self.conn = self.connect_fn(self.config["database"])
        ensure_schema(self.conn)
        poll = float(self.config.get("poll_seconds", 5))
        jobs = 0
        while not self.stopping:
            job = claim(self.conn, self.node, self.worker)
            if job is None:
                if outstanding(self.conn) == 0:
                    self.log(f"{self.worker}: nothing left to do")
                    break
                # Others hold claims that may still come back (lease expiry).
                self.sleep(poll)
                continue
            self.log(f"{self.worker}: {job['target']} attempt {job['attempt']}")
            ok, result, duration, output = self.run_job(job)
            if self.stopping and result not in ("lost",):
                release(self.conn, job, self.worker)
                self.log(f"{self.worker}: {job['target']} interrupted, released")
                break
            if ok is None:
                self.log(f"{self.worker}: {job['target']} claim lost (lease expired)")
                continue
            new = finish(self.conn, job, self.worker, ok, result, duration, output)
            self.log(f"{self.worker}: {job['target']} {result} in {duration:.1f}s -> {new}")
            jobs += 1
            if max_jobs is not None and jobs >= max_jobs:
                break
        self.conn.close()
        return 0
