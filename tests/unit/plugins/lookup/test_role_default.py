# Copyright: bioimage.omero contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role_default lookup: one source for the values two roles share."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible_collections.bioimage.omero.plugins.lookup.role_default import LookupModule, role_default


def test_reads_the_owner_role_defaults():
    assert LookupModule().run(["database_port", "omero_web_port"]) == [5432, 80]


def test_the_longest_role_name_owns_the_variable(tmp_path):
    for role, text in (("omero", "omero_web_port: 1\n"), ("omero_web", "omero_web_port: 2\n")):
        (tmp_path / role / "defaults").mkdir(parents=True)
        (tmp_path / role / "defaults" / "main.yml").write_text(text)
    assert role_default("omero_web_port", tmp_path) == 2


def test_refuses_a_variable_no_role_owns():
    with pytest.raises(AnsibleLookupError, match=r"no role of bioimage\.omero owns the variable 'nosuchrole_port'"):
        role_default("nosuchrole_port")


def test_refuses_a_variable_the_owner_does_not_define():
    with pytest.raises(AnsibleLookupError, match="the role database has no default for 'database_nosuch'"):
        role_default("database_nosuch")


def test_refuses_a_template_default():
    with pytest.raises(AnsibleLookupError, match="'database_readwrite_hosts' in the role database is a template"):
        role_default("database_readwrite_hosts")


# Issue 18 item 4: the values two roles must agree on have one source each. A consumer's default
# names the owner's variable and falls back to this lookup, never to a second copy of the value.
SHARED = {
    "database_omero_name": ["omero_server_db_name", "backup_db_name", "import_worker_omero_db_name"],
    "database_port": [
        "omero_server_db_port",
        "backup_db_port",
        "omero_cache_regen_db_port",
        "import_worker_db_port",
        "import_buffer_db_port",
    ],
    "database_readonly_role": ["omero_server_db_user", "import_worker_omero_db_user"],
    "database_omero_owner": ["omero_server_db_user"],
    "database_readonly_statement_timeout": ["proxy_readonly_statement_timeout"],
    "omero_web_port": ["proxy_backend_port", "omero_server_firewall_web_port", "monitoring_backend_probe_port"],
    "omero_web_environment": ["proxy_environment"],
    "proxy_upstream_fail_timeout": ["omero_web_restart_settle_seconds"],
    "import_worker_db_name": ["import_buffer_db_name"],
}


@pytest.mark.parametrize(("owner", "consumer"), [(o, c) for o, cs in SHARED.items() for c in cs])
def test_consumers_read_the_owner(owner, consumer):
    from ansible_collections.bioimage.omero.plugins.lookup.role_default import ROLES_DIR, owner_defaults

    role, defaults = owner_defaults(consumer, ROLES_DIR)
    text = str(defaults[consumer])
    assert f"lookup('bioimage.omero.role_default', '{owner}')" in text, (
        f"{role}: {consumer} does not read {owner}: {text}"
    )
