# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options of the backup actions, as _backup_pg and _backup_restic read them.

Both the modules and the ``omero-backup`` command hand a plain dict of option values
in; each backend checks what is its own after these shared steps. Standard library
only: this file also runs on the hosts from the ``omero-backup`` command.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import OptionError, check_options

RETENTION_OPTIONS = ("keep_daily", "keep_weekly", "keep_monthly")


class Options(dict):
    """Options with defaults filled in; attribute access for readability."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def options_with_defaults(values: Dict[str, Any], defaults: Dict[str, Any], actions: Sequence[str]) -> Options:
    """``defaults`` with every value that is set; refuses unknown option names and actions."""
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise BackupError("unknown option(s): {}".format(", ".join(unknown)))
    opts = Options(defaults)
    opts.update({k: v for k, v in values.items() if v is not None})
    if opts.action not in actions:
        raise BackupError("action must be one of {}, got {!r}".format(", ".join(actions), opts.action))
    return opts


def check_retention(opts: Options) -> None:
    for key in RETENTION_OPTIONS:
        if int(opts[key]) < 0:
            raise BackupError(f"{key} must be >= 0")


def check_domains(opts: Options, domains: Dict[str, Any]) -> None:
    """Every option of ``domains`` inside its domain (_option_domains), or a BackupError naming it."""
    try:
        check_options(opts, domains)
    except OptionError as exc:
        raise BackupError(str(exc)) from None
