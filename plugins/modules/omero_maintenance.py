#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: omero_maintenance
short_description: Switch the OMERO proxy's maintenance page on or off
version_added: 0.1.0
description:
  - Writes or removes the maintenance flag file of the P(bioimage.omero.proxy#role) role. While the
    flag exists, every public route of the proxy answers C(503) with a page showing O(reason) and
    O(until), and a C(Retry-After) header counting the seconds until O(until).
  - The page is written before the flag, each with a temporary file and an atomic rename, so
    visitors never see a half-written page or a page from the previous maintenance.
  - The flag holds a small JSON document (reason, until, retry_after, since). A flag created by
    hand (for example C(touch)) also switches maintenance on, with the generic page.
  - Returns the previous state, so a playbook can restore it.
author:
  - bioimage.omero developers (@bioimage-omero)
options:
  state:
    description:
      - V(on) writes the page and the flag; V(off) removes the flag and the page.
      - Quote the value in YAML (C("on")), otherwise YAML reads it as a boolean.
    type: str
    required: true
    choices: ["on", "off"]
  reason:
    description:
      - Why the service is down, shown on the page (HTML-escaped).
    type: str
  until:
    description:
      - Expected end, ISO 8601 date and time (V(2026-11-21T20:00:00Z), V(2026-11-21 21:00+01:00));
        without an offset it is UTC.
      - Shown on the page; C(Retry-After) counts down to it.
    type: str
  retry_after:
    description:
      - Seconds sent in C(Retry-After) when O(until) is not given or has passed; greater than 0.
    type: int
    default: 3600
  title:
    description:
      - Heading and title of the page.
    type: str
    default: Down for maintenance
  flag:
    description:
      - Absolute path of the flag file nginx tests (the role's C(proxy_maintenance_flag)); a relative
        path is refused.
      - The default is the proxy role's default; C(playbooks/maintenance.yml) passes the role's value.
    type: path
    default: /srv/www/omero-maintenance.flag
  page:
    description:
      - Absolute path of the page nginx serves while the flag exists (C(maintenance.html) in the role's
        C(proxy_maintenance_dir)); a relative path is refused.
    type: path
    default: /srv/www/omero-maintenance/maintenance.html
attributes:
  check_mode:
    description: Computes the new flag and page and writes nothing.
    support: full
  diff_mode:
    description: One diff for the flag file and one for the page.
    support: full
notes:
  - The flag's directory must exist (the proxy role creates it).
seealso:
  - module: bioimage.omero.omero_proxy_cache
"""

EXAMPLES = r"""
- name: Take the site down for a database upgrade
  bioimage.omero.omero_maintenance:
    state: "on"
    reason: Database upgrade to OMERO 5.6.x
    until: "2026-11-21T20:00:00Z"
  register: maintenance

- name: Bring the site back
  bioimage.omero.omero_maintenance:
    state: "off"

- name: Restore whatever state was there before
  bioimage.omero.omero_maintenance:
    state: "{{ maintenance.previous.state }}"
    reason: "{{ maintenance.previous.reason | default(omit, true) }}"
    until: "{{ maintenance.previous.until | default(omit, true) }}"
"""

RETURN = r"""
previous:
  description: The maintenance state found before the module ran.
  returned: always
  type: dict
  contains:
    state:
      description: V(on) when the flag existed.
      type: str
      sample: "off"
    reason:
      description: Reason recorded in the flag, if any.
      type: str
      sample: Database upgrade
    until:
      description: Expected end recorded in the flag (UTC), if any.
      type: str
      sample: "2026-11-21T20:00:00Z"
    since:
      description: When the module switched maintenance on (UTC), if known.
      type: str
      sample: "2026-11-21T18:00:00Z"
    retry_after:
      description: Fallback Retry-After recorded in the flag, if any.
      type: int
      sample: 3600
state:
  description: The maintenance state after the module ran.
  returned: always
  type: str
  sample: "on"
until:
  description: O(until) normalised to UTC.
  returned: when O(state=on)
  type: str
  sample: "2026-11-21T20:00:00Z"
flag:
  description: Path of the flag file.
  returned: always
  type: str
  sample: /srv/www/omero-maintenance.flag
"""

import contextlib
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bioimage.omero.plugins.module_utils._maintenance import (
    DEFAULT_DIR,
    DEFAULT_FLAG,
    DEFAULT_RETRY_AFTER,
    DEFAULT_TITLE,
    PAGE_NAME,
    desired_flag,
    parse_until,
    read_flag,
    render_page,
    utc_now,
)
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import (
    ABSOLUTE_PATH,
    POSITIVE,
    fail_on_bad_options,
)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def atomic_write(module, path, text):
    """Temporary file in the same directory, then an atomic rename over the target."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        module.fail_json(msg=f"Directory {directory} does not exist (the proxy role creates it)")
    fd, tmp = tempfile.mkstemp(prefix=".omero_maintenance.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


OPTION_DOMAINS = {"retry_after": POSITIVE, "flag": ABSOLUTE_PATH, "page": ABSOLUTE_PATH}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["on", "off"]),
            reason=dict(type="str"),
            until=dict(type="str"),
            retry_after=dict(type="int", default=DEFAULT_RETRY_AFTER),
            title=dict(type="str", default=DEFAULT_TITLE),
            flag=dict(type="path", default=DEFAULT_FLAG),
            page=dict(type="path", default=DEFAULT_DIR + "/" + PAGE_NAME),
        ),
        supports_check_mode=True,
    )
    params = module.params
    fail_on_bad_options(module, OPTION_DOMAINS)
    flag, page = params["flag"], params["page"]
    try:
        until = parse_until(params["until"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    current_flag = read_text(flag)
    current_page = read_text(page)
    previous = read_flag(current_flag)
    result = dict(changed=False, previous=previous, state=params["state"], flag=flag)

    if params["state"] == "on":
        new_flag = desired_flag(current_flag, params["reason"], until, params["retry_after"], utc_now())
        new_page = render_page(params["title"], params["reason"], until)
        result["until"] = until
    else:
        new_flag = None
        new_page = None

    flag_changes = new_flag != current_flag
    page_changes = new_page != current_page
    result["changed"] = flag_changes or page_changes
    if module._diff:
        result["diff"] = [
            dict(before=current_flag or "", after=new_flag or "", before_header=flag, after_header=flag),
            dict(before=current_page or "", after=new_page or "", before_header=page, after_header=page),
        ]

    if result["changed"] and not module.check_mode:
        if params["state"] == "on":
            # the page first: the flag must never point visitors at an old page
            if page_changes:
                atomic_write(module, page, new_page)
            if flag_changes:
                atomic_write(module, flag, new_flag)
        else:
            remove(flag)
            remove(page)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
