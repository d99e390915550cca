# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wheelhouse role's defaults hold what the OMERO roles install, at the same pins.

The OMERO hosts install offline (pip --no-index --find-links WHEELHOUSE): a package missing
from wheelhouse_packages, or pinned there at another version than the installing role asks
for, fails the install on the host, long after the wheelhouse was built. The pins are kept in
each role's defaults (a role cannot read another role's defaults); this test keeps them equal.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*([^\s;,]+))?\s*$")


def role_defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as handle:
        return yaml.safe_load(handle)


def parse(requirement):
    """(normalised name, pinned version or None) of 'name' or 'name==version' (PEP 503 names)."""
    match = REQUIREMENT.match(requirement)
    if not match:
        raise ValueError(f"not a plain or ==-pinned requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower(), match.group(2)


def wheelhouse():
    pins = {}
    for requirement in role_defaults("wheelhouse")["wheelhouse_packages"]:
        name, version = parse(requirement)
        assert version, f"wheelhouse_packages entries are pinned (name==version): {requirement!r}"
        pins[name] = version
    return pins


def omero_web_requirements():
    web = role_defaults("omero_web")
    return (
        ["omero-web==" + str(web["omero_web_version"])]
        + web["omero_web_python_packages"]
        + list(web["omero_web_app_packages"].values())
        + [web["omero_web_metrics_package"]]
    )


def omero_server_requirements():
    server = role_defaults("omero_server")
    # omero-certificates goes into the server venv when omero_server_certificates is on (the default).
    return server["omero_server_python_packages"] + [server["omero_server_certificates_package"]]


@pytest.mark.parametrize(
    "requirement",
    omero_web_requirements() + omero_server_requirements(),
)
def test_the_wheelhouse_holds_what_the_roles_install_at_the_same_pin(requirement):
    name, version = parse(requirement)
    pins = wheelhouse()
    assert name in pins, f"{requirement} is installed by a role but not in wheelhouse_packages"
    if version is not None:
        assert pins[name] == version, f"{requirement}: wheelhouse_packages pins {name}=={pins[name]}"


def test_gunicorn_is_pinned_on_both_sides():
    # gunicorn runs OMERO.web: pinned by omero_web, and the wheelhouse has exactly that version.
    web = dict(parse(r) for r in omero_web_requirements())
    assert web["gunicorn"] is not None
    assert web["gunicorn"] == wheelhouse()["gunicorn"]


def test_parse():
    assert parse("Django_Redis==7.0.0") == ("django-redis", "7.0.0")
    assert parse("omero-py") == ("omero-py", None)
    with pytest.raises(ValueError):
        parse("gunicorn>=23")
