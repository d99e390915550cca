# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The maintenance flag document and page."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _maintenance as mt


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-21T20:00:00Z", "2026-11-21T20:00:00Z"),
        ("2026-11-21T21:30:00+01:00", "2026-11-21T20:30:00Z"),
        ("2026-11-21 20:00", "2026-11-21T20:00:00Z"),
        ("2026-11-21", "2026-11-21T00:00:00Z"),
        (None, None),
        ("", None),
    ],
)
def test_parse_until(value, expected):
    assert mt.parse_until(value) == expected


def test_parse_until_rejects_garbage():
    with pytest.raises(ValueError, match="ISO 8601"):
        mt.parse_until("tomorrow evening")


def test_read_flag_states():
    assert mt.read_flag(None)["state"] == "off"
    hand_made = mt.read_flag("")
    assert hand_made == {"state": "on", "reason": None, "until": None, "since": None, "retry_after": None}
    text = mt.flag_text("upgrade", "2026-11-21T20:00:00Z", 600, "2026-11-21T18:00:00Z")
    assert mt.read_flag(text) == {
        "state": "on",
        "reason": "upgrade",
        "until": "2026-11-21T20:00:00Z",
        "since": "2026-11-21T18:00:00Z",
        "retry_after": 600,
    }


def test_desired_flag_keeps_since_while_on():
    first = mt.desired_flag(None, "upgrade", None, 3600, "2026-11-21T18:00:00Z")
    assert json.loads(first)["since"] == "2026-11-21T18:00:00Z"
    again = mt.desired_flag(first, "upgrade", None, 3600, "2026-11-21T19:00:00Z")
    assert again == first
    changed = mt.desired_flag(first, "longer upgrade", "2026-11-22T00:00:00Z", 3600, "2026-11-21T19:00:00Z")
    assert json.loads(changed)["since"] == "2026-11-21T18:00:00Z"
    assert json.loads(changed)["until"] == "2026-11-22T00:00:00Z"
    # a hand-made flag has no since: the module records the moment it took over
    assert json.loads(mt.desired_flag("", None, None, 60, "2026-11-21T19:00:00Z"))["since"] == "2026-11-21T19:00:00Z"


def test_render_page_escapes_and_shows_the_end():
    page = mt.render_page("Down", "<script>alert(1)</script> & more", "2026-11-21T20:00:00Z")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert '<time datetime="2026-11-21T20:00:00Z">2026-11-21T20:00:00Z</time>' in page
    generic = mt.render_page(None, None, None)
    assert mt.DEFAULT_TITLE in generic
    assert "back soon" in generic
