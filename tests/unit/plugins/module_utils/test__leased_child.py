# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A child process under a lease (shared by the cache regeneration and import workers), with real processes."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _leased_child as lc


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "popen-wait-fallback"])
def test_wait_for_exit_returns_the_exit_code_at_once_or_none_while_running(monkeypatch, pidfd):
    if not pidfd:
        monkeypatch.delattr(lc.os, "pidfd_open", raising=False)
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("no os.pidfd_open on this Python")
    quick = subprocess.Popen(["sh", "-c", "exit 3"])
    start = time.monotonic()
    assert lc.wait_for_exit(quick, 5) == 3
    assert time.monotonic() - start < 2
    slow = subprocess.Popen(["sleep", "5"])
    try:
        assert lc.wait_for_exit(slow, 0.1) is None
    finally:
        slow.kill()
        slow.wait()


def test_wait_for_exit_falls_back_when_pidfd_open_fails(monkeypatch):
    def refuse(_pid):
        raise OSError("pidfd_open not permitted")

    monkeypatch.setattr(lc.os, "pidfd_open", refuse, raising=False)
    proc = subprocess.Popen(["sh", "-c", "exit 0"])
    assert lc.wait_for_exit(proc, 5) == 0


def test_run_child_returns_the_output_and_exit_code():
    runner = lc.LeasedChildRunner()
    rc, output, outcome = runner.run_child(["sh", "-c", "echo out; echo err >&2; exit 4"], {}, 5, lambda: True)
    assert (rc, outcome) == (4, lc.EXITED) and output == "out\nerr\n"
    assert runner.proc is None


def test_run_child_kills_the_command_when_the_lease_is_lost():
    runner = lc.LeasedChildRunner()
    renewals = []
    start = time.monotonic()
    rc, _output, outcome = runner.run_child(["sleep", "60"], {}, 0.2, lambda: renewals.append(1) and False)
    assert outcome == lc.LOST and rc == -15 and len(renewals) == 1
    assert time.monotonic() - start < 30


def test_run_child_kills_the_command_after_its_timeout():
    runner = lc.LeasedChildRunner()
    rc, _output, outcome = runner.run_child(["sleep", "60"], {}, 0.2, lambda: True, timeout=0.5)
    assert outcome == lc.TIMEOUT and rc == -15


def test_run_child_cannot_start_raises_oserror():
    with pytest.raises(OSError):
        lc.LeasedChildRunner().run_child(["/nonexistent/command"], {}, 1, lambda: True)
