# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A child process run under a lease: the part the cache regeneration and import workers share.

A worker slot claims a piece of work in PostgreSQL with a lease, runs one command for it in its
own process group, and renews the lease while the command runs. If the renewal fails (the work
was cancelled or taken over once the lease expired) or the command outlives its timeout, the
command's process group gets SIGTERM, then SIGKILL. A stop request (SIGTERM to the worker)
passes SIGTERM on to the running command. Used on the hosts by the host_tools launchers; needs
no Ansible.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

EXITED, LOST, TIMEOUT = "exited", "lost", "timeout"


def wait_for_exit(proc, seconds):
    """Wait up to ``seconds`` for ``proc``; its exit code, or None if it still runs.

    ``Popen.wait(timeout=...)`` polls with sleeps of up to 50 ms, a delay paid
    after every command; a pidfd (Linux 5.3+, Python 3.9+) wakes us the moment
    the command exits. Falls back to ``Popen.wait`` where there is none.
    """
    pidfd_open = getattr(os, "pidfd_open", None)
    fd = None
    if pidfd_open is not None:
        with contextlib.suppress(OSError):
            fd = pidfd_open(proc.pid)
    if fd is None:
        try:
            return proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None
    try:
        readable, _w, _x = select.select([fd], [], [], seconds)
    finally:
        os.close(fd)
    return proc.wait() if readable else proc.poll()


def stdout_log(msg):
    """Default logger: one line on stdout (the journal, under systemd)."""
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class LeasedChildRunner:
    """Base of a worker slot: runs one child at a time under a lease, stops on request."""

    stopping = False
    proc = None

    def request_stop(self, *_args):
        """Signal handler: stop after the current command, which gets SIGTERM now."""
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)

    def run_child(self, argv, env, beat, renew, timeout=0.0):
        """Run ``argv`` (its own session, stdin closed, stderr into stdout) until it exits.

        Every ``beat`` seconds while it runs, ``renew()`` renews the lease (not while stopping);
        when it returns False the child is killed. Returns (exit code, output, outcome), the
        outcome one of EXITED, LOST (lease lost) or TIMEOUT (ran longer than ``timeout`` s, 0:
        no limit). Raises OSError when the command cannot be started.
        """
        start = time.monotonic()
        outcome = EXITED
        with tempfile.TemporaryFile() as out:
            self.proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
            try:
                while True:
                    rc = wait_for_exit(self.proc, beat)
                    if rc is not None:
                        break
                    if timeout and time.monotonic() - start > timeout:
                        outcome = TIMEOUT
                        self.kill_child()
                        continue
                    if not self.stopping and not renew():
                        outcome = LOST
                        self.kill_child()
            finally:
                self.proc = None
            out.seek(0)
            output = out.read().decode("utf-8", "replace")
        return rc, output, outcome

    def kill_child(self):
        """SIGTERM to the child's process group, SIGKILL after 10 s, give up after 5 more."""
        if self.proc is None:
            return
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def sleep(self, seconds):
        """Sleep up to ``seconds``, waking early on a stop request."""
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.5, end - time.monotonic()))
