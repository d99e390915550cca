# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the tests that run ansible-playbook find this collection.

A checkout links itself into ``.ansible/collections`` (testbed/link-collection.sh); a copy laid out
as ``.../ansible_collections/bioimage/omero`` (ansible-test, the forward-compatibility gate) is
found from the directory above ``ansible_collections``.
"""

from __future__ import annotations

import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def collections_path(root: str = ROOT) -> str:
    parts = os.path.normpath(root).split(os.sep)
    if parts[-3:-2] == ["ansible_collections"]:
        return os.sep.join(parts[:-3]) or os.sep
    return os.path.join(root, ".ansible", "collections")


COLLECTIONS_PATH = collections_path()
