# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domains of module options that the argument spec cannot express, checked before any work.

A module lists its options with a domain, ``{"login_port": PORT, "login_timeout": POSITIVE}``,
and calls :func:`check_options` (or :func:`fail_on_bad_options` with the AnsibleModule) first.
Each refusal names the option, the allowed values and the value given. Unset options (None) are
not checked: the argument spec says whether they are required. No Ansible import: the host tools
can use it too.
"""

from __future__ import annotations

import os

PORT = ("port", 1, 65535)
POSITIVE = ("positive",)
ABSOLUTE_PATH = ("absolute path",)
HTTP_URL = ("http url",)


def at_least(minimum, why=""):
    """An integer domain with a lower bound (and the reason for it, shown in the refusal)."""
    return ("at least", minimum, why)


class OptionError(ValueError):
    """An option value outside its domain."""


def check_option(name, value, domain):
    """Raise OptionError when ``value`` of option ``name`` is outside ``domain``."""
    if value is None:
        return
    kind = domain[0]
    if kind == "port":
        if isinstance(value, bool) or not isinstance(value, int) or not domain[1] <= value <= domain[2]:
            raise OptionError(f"{name} must be a TCP port number from {domain[1]} to {domain[2]}, got {value!r}")
    elif kind == "positive":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise OptionError(f"{name} must be a number of seconds greater than 0, got {value!r}")
    elif kind == "at least":
        if isinstance(value, bool) or not isinstance(value, int) or value < domain[1]:
            why = f" ({domain[2]})" if domain[2] else ""
            raise OptionError(f"{name} must be an integer of at least {domain[1]}{why}, got {value!r}")
    elif kind == "absolute path":
        if not isinstance(value, str) or not os.path.isabs(value):
            raise OptionError(f"{name} must be an absolute path on the managed host (starting with /), got {value!r}")
    elif kind == "http url":
        if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) <= len("https://"):
            raise OptionError(f"{name} must be an http:// or https:// URL, got {value!r}")
    else:
        raise ValueError(f"unknown option domain {domain!r}")


def check_options(params, domains):
    """Check every option of ``domains`` (name -> domain) in ``params``; the first refusal raises."""
    for name, domain in domains.items():
        check_option(name, params.get(name), domain)


def fail_on_bad_options(module, domains):
    """check_options on an AnsibleModule's parameters; the module fails naming the option."""
    try:
        check_options(module.params, domains)
    except OptionError as exc:
        module.fail_json(msg=str(exc))
