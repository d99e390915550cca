# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module in the test process, as Ansible would, and read the JSON it returns."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bioimage.omero.tests.unit.plugins.module_utils.omero_fake_admin import FakeSession


def run_module(module, args, capsys, main=None, secrets=()):
    """The result of ``module.main()`` (or of ``main()``) given ``args``, with "rc" the exit code.

    Fails the test when any of ``secrets`` shows in the output.
    """
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        (main or module.main)()
    raw = capsys.readouterr().out
    for secret in secrets:
        assert secret not in raw, "a password leaked into the module output"
    out = json.loads(raw)
    out["rc"] = exc.value.code
    return out


def run_with_fake_admin(module, args, capsys, fake=None, error=None, check=False, diff=False, secrets=()):
    """omero_user or omero_group against the recording FakeAdmin; "session" in the result is the FakeSession."""
    session = FakeSession(fake, error=error)

    def main():
        ansible_module = module.AnsibleModule(argument_spec=module.argument_spec(), supports_check_mode=True)
        module.run(ansible_module, session)

    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    out = run_module(module, args, capsys, main=main, secrets=secrets)
    out["session"] = session
    return out
