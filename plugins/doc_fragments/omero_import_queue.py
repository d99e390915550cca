# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the omero_import_request* modules share: the queue's database and the absence of diffs."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  diff_mode:
    support: none
    description: No diff is returned.
options:
  login_db:
    description:
      - The import operations database holding the queue (tables C(import_request), C(import_fileset),
        C(import_event)).
    type: str
    default: omero_import
"""
