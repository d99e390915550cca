# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the omero_cache_* modules share: psycopg2, the database connection, the file they write.

Modules only; the workers on the OMERO nodes use _cache_queue without Ansible.
"""

from __future__ import annotations

import os
import tempfile
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_queue as cq

try:
    import psycopg2  # noqa: F401  # pylint: disable=unused-import  # presence check; _cache_queue connects

    PSYCOPG2_ERROR = None
except ImportError:
    PSYCOPG2_ERROR = traceback.format_exc()


def require_psycopg2(module):
    if PSYCOPG2_ERROR is not None:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=PSYCOPG2_ERROR)


def connect_or_fail(module, what):
    """The connection the module options describe, or the module fails: cannot connect to WHAT LOGIN_DB."""
    try:
        return cq.module_connect(module.params)
    except Exception as exc:
        module.fail_json(msg=f"cannot connect to {what} {module.params['login_db']}: {exc}")


def write_file_option(module, option, text, tmp_prefix):
    """Make the file the module option ``option`` names hold ``text``, with O(mode); returns changed.

    The file is replaced atomically, and only when its content differs; check mode writes nothing.
    """
    dest = module.params[option]
    changed = _write_if_different(module, option, dest, text, tmp_prefix)
    if not module.check_mode and os.path.exists(dest):
        file_args = module.load_file_common_arguments({"path": dest, "mode": module.params["mode"]})
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed


def _write_if_different(module, option, dest, text, tmp_prefix):
    try:
        with open(dest, encoding="utf-8") as fh:
            if fh.read() == text:
                return False
    except FileNotFoundError:
        pass
    if module.check_mode:
        return True
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        module.fail_json(msg=f"directory {directory} of {option} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=tmp_prefix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    module.atomic_move(tmp, dest)
    return True
