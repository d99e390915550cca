# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The second copy of the dump store: rsync of the complete sets after a dump."""

from __future__ import annotations

from ansible_collections.bioimage.omero.plugins.module_utils._backup_options import Options
from ansible_collections.bioimage.omero.plugins.module_utils._backup_pg_client import client_env, run


def copy_store(opts: Options) -> str:
    """rsync the complete sets to the second location (temporaries and the lock excluded)."""
    argv = ["rsync", "--archive", "--exclude=.*"]
    if opts.copy_delete:
        argv.append("--delete")
    argv += [opts.backup_dir.rstrip("/") + "/", opts.copy_to]
    run(argv, client_env(opts), f"rsync to {opts.copy_to}")
    return opts.copy_to
