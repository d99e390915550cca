# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The proxy's maintenance flag and page (no Ansible needed).

The flag file is what nginx tests (``if (-f FLAG) { return 503; }``). Its content is a small
JSON document: the reason, the expected end (``until``, UTC) and the fallback Retry-After;
the proxy's njs script reads ``until`` to send ``Retry-After`` in seconds. A flag created by
hand (empty or not JSON) still switches maintenance on.
"""

from __future__ import annotations

import datetime
import html
import json

DEFAULT_TITLE = "Down for maintenance"
DEFAULT_RETRY_AFTER = 3600
# The proxy role's proxy_maintenance_flag and proxy_maintenance_dir defaults (a unit test keeps them
# equal; playbooks/maintenance.yml reads the role's own file): the module's defaults for a bare call.
DEFAULT_FLAG = "/srv/www/omero-maintenance.flag"
DEFAULT_DIR = "/srv/www/omero-maintenance"
PAGE_NAME = "maintenance.html"


def parse_until(value):
    """ISO 8601 date-time -> 'YYYY-MM-DDTHH:MM:SSZ' in UTC. A value without offset is UTC."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "until must be an ISO 8601 date and time such as 2026-11-21T20:00:00Z or "
            f"2026-11-21 21:00+01:00, got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_flag(text):
    """What a flag file says. ``text`` is None when there is no flag (maintenance off)."""
    if text is None:
        return {"state": "off", "reason": None, "until": None, "since": None, "retry_after": None}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # touched by hand: maintenance is on, without details
        return {"state": "on", "reason": None, "until": None, "since": None, "retry_after": None}
    return {
        "state": "on",
        "reason": data.get("reason"),
        "until": data.get("until"),
        "since": data.get("since"),
        "retry_after": data.get("retry_after"),
    }


def flag_text(reason, until, retry_after, since):
    """Canonical flag content: stable bytes for the same inputs (idempotent writes)."""
    data = {"reason": reason, "until": until, "retry_after": retry_after, "since": since}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def desired_flag(current_text, reason, until, retry_after, now):
    """The flag content for state=on; keeps 'since' while maintenance was already on."""
    current = read_flag(current_text)
    since = current["since"] if current["state"] == "on" and current["since"] else now
    return flag_text(reason, until, retry_after, since)


def render_page(title, reason, until):
    """The maintenance page: reason and expected end, HTML-escaped; works without JavaScript."""
    title = html.escape(title or DEFAULT_TITLE)
    lines = [
        "<!DOCTYPE html>",
        "<!-- Written by bioimage.omero.omero_maintenance: changes are overwritten. -->",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{title}</h1>",
    ]
    if reason:
        lines.append(f'<p class="reason">{html.escape(reason)}</p>')
    else:
        lines.append("<p>This service is undergoing planned maintenance.</p>")
    if until:
        lines.append(f'<p class="until">Expected back: <time datetime="{until}">{until}</time></p>')
    else:
        lines.append("<p>It will be back soon.</p>")
    lines += ["</main>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"
