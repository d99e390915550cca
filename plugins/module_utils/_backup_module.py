# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run shared by the omero_backup and omero_backup_data modules."""

from __future__ import annotations

from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError


def run_backup_action(module, backend) -> None:
    """Run the action the module's options ask for and exit the module with its result.

    ``backend`` is _backup_pg or _backup_restic: ``make_options(values)`` and
    ``perform(opts, check_mode)``, the same calls the omero-backup command makes.
    """
    try:
        opts = backend.make_options(dict(module.params))
        result = backend.perform(opts, module.check_mode)
    except BackupError as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop("diff", None)
    if module._diff and diff is not None:
        result["diff"] = diff
    module.exit_json(**result)
