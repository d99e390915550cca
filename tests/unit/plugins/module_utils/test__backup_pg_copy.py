# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing for the SFTP copy of the dump store (the transfers themselves run against a real
chrooted sshd in the molecule backup scenario)."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_cli as cli
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg_copy as copy
from ansible_collections.bioimage.omero.plugins.module_utils._backup_store import BackupError


def test_sftp_locations_are_recognised_and_split():
    assert copy.is_sftp("sftp:omero-backup-store:/db")
    assert not copy.is_sftp("/srv/copy")
    assert not copy.is_sftp("host:/srv/copy")
    assert copy.parse_sftp("sftp:omero-backup-store:/db/") == ("omero-backup-store", "/db")


@pytest.mark.parametrize("bad", ["sftp:", "sftp:host", "sftp:host:db", "sftp::/db"])
def test_a_malformed_sftp_location_is_refused_with_the_expected_form(bad):
    with pytest.raises(BackupError, match="sftp:HOST:/DIR"):
        copy.parse_sftp(bad)


def test_long_listing_sizes_are_read_per_file_under_the_prefix():
    lines = [
        "-rw-r--r--    ? 1001     1001         1234 Dec  7 12:12 /db/.incoming-x/omero.pgdump",
        "-rw-r--r--    ? 1001     1001           80 Dec  7 12:12 /db/.incoming-x/dir/SHA256SUMS",
        "-rw-r--r--    ? 1001     1001           99 Dec  7 12:12 /db/other/file",
        'Can\'t ls: "/db/.incoming-x/missing" not found',
    ]
    assert copy.parse_long_listing(lines, "/db/.incoming-x") == {"omero.pgdump": 1234, "dir/SHA256SUMS": 80}


def test_local_files_lists_every_file_with_its_size(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a").write_bytes(b"12345")
    (tmp_path / "sub" / "b").write_bytes(b"")
    assert copy.local_files(str(tmp_path)) == {"a": 5, "sub/b": 0}


def test_fetch_needs_an_sftp_source(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"database": {"backup_dir": str(tmp_path)}}))
    assert cli.main(["--config", str(config), "fetch", "--from", "/srv/copy"]) == 1
    assert "fetch needs --from sftp:HOST:/DIR" in capsys.readouterr().err
