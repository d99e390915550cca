# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Option domains: the edges of each, and refusals that name the option and the allowed values."""

from __future__ import annotations

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _option_domains as d


@pytest.mark.parametrize(
    ("domain", "good", "bad", "message"),
    [
        (d.PORT, [1, 4064, 65535], [0, -1, 65536, True, "80"], "p must be a TCP port number from 1 to 65535"),
        (d.POSITIVE, [1, 0.5, 3600], [0, -5, -0.1, False], "p must be a number of seconds greater than 0"),
        (d.at_least(3, "why"), [3, 4], [2, -1], "p must be an integer of at least 3 (why)"),
        (d.ABSOLUTE_PATH, ["/", "/srv/x"], ["x", "./x", "", 5], "p must be an absolute path on the managed host"),
        (d.HTTP_URL, ["http://127.0.0.1:9000", "https://a"], ["127.0.0.1:9000", "http://", "ftp://x"], "p must be an"),
    ],
)
def test_domain_edges(domain, good, bad, message):
    for value in good:
        d.check_option("p", value, domain)
    for value in bad:
        with pytest.raises(d.OptionError) as err:
            d.check_option("p", value, domain)
        assert str(err.value).startswith(message)
        assert str(err.value).endswith(f"got {value!r}")


def test_unset_options_are_not_checked_and_the_first_refusal_wins():
    d.check_options({"port": None}, {"port": d.PORT})
    with pytest.raises(d.OptionError, match=r"^a must"):
        d.check_options({"a": 0, "b": 0}, {"a": d.PORT, "b": d.POSITIVE})


def test_an_unknown_domain_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown option domain"):
        d.check_option("p", 1, ("prime",))
