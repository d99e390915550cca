#!/usr/bin/python
# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: omero_proxy_cache
short_description: Purge and warm the OMERO proxy's nginx cache
version_added: 0.1.0
description:
  - Purges entries of the nginx cache written by the P(bioimage.omero.proxy#role) role (everything,
    single URLs, or every URL under a prefix). No nginx-plus or purge module is needed; the module
    computes where nginx stores a key (md5 of the key in the C(levels=1:2) directory layout) and
    checks the key written in the entry's header before deleting it. nginx treats a deleted entry
    as a miss and fetches it again.
  - Warms URLs by requesting them through the proxy's cache-buster listener (by default
    U(http://127.0.0.1:9000)), which always asks the read-write backend and stores the answer, so
    the next public request is a cache hit. Purges run before warming.
  - The cache key is the request URI without the host, minus the cache-busting query arguments in
    O(strip_args), exactly as the proxy computes it; a URL may be given with or without scheme and
    host.
author:
  - bioimage.omero developers (@bioimage-omero)
options:
  cache_dir:
    description:
      - Root of the cache (the role's C(proxy_cache_dir)); every zone directory below it is searched.
        An absolute path.
      - With O(purge_all), C(/) is refused, and so is a directory holding files named like cache entries
        (32 hex digits) without nginx's C(KEY:) header; nothing is deleted then.
    type: path
    default: /var/cache/nginx/omero
  levels:
    description:
      - The C(levels=) of the cache zones.
    type: str
    default: "1:2"
  strip_args:
    description:
      - Query arguments the proxy removes from the cache key (the role's C(proxy_cache_key_strip_args)).
    type: list
    elements: str
    default: ["_"]
  purge_all:
    description:
      - Delete every cache entry (every file below O(cache_dir) named like an entry and carrying nginx's
        C(KEY:) header).
    type: bool
    default: false
  purge_urls:
    description:
      - URLs (or paths with query) whose entries are deleted.
    type: list
    elements: str
    default: []
  purge_prefixes:
    description:
      - Delete every entry whose key starts with one of these paths (reads every entry's header).
    type: list
    elements: str
    default: []
  warm_urls:
    description:
      - URLs (or paths with query) to fetch through O(warm_base_url) after purging.
    type: list
    elements: str
    default: []
  warm_base_url:
    description:
      - The cache-buster listener, an C(http://) or C(https://) URL.
    type: str
    default: http://127.0.0.1:9000
  timeout:
    description:
      - Seconds to wait for each warm-up request; greater than 0.
    type: int
    default: 900
attributes:
  check_mode:
    description: Lists the entries that would be deleted and the URLs that would be fetched; nothing is
      deleted or fetched.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
notes:
  - Run it on the proxy host, with the privileges to delete files owned by nginx's user.
  - A warm-up request that does not answer 200 fails the task after every URL was tried.
seealso:
  - module: bioimage.omero.omero_maintenance
"""

EXAMPLES = r"""
- name: Drop a thumbnail that changed and fetch it again
  bioimage.omero.omero_proxy_cache:
    purge_urls:
      - /webgateway/render_thumbnail/1234/
    warm_urls:
      - /webgateway/render_thumbnail/1234/

- name: Forget every cached answer about one image
  bioimage.omero.omero_proxy_cache:
    purge_prefixes:
      - /webgateway/render_image/1234/
      - /webclient/metadata_details/image/1234/

- name: Empty the cache after a release, then warm the landing pages
  bioimage.omero.omero_proxy_cache:
    purge_all: true
    warm_urls:
      - /webclient/?experimenter=-1
      - /api/v0/m/projects/
"""

RETURN = r"""
purged:
  description: Entries deleted (or that would be, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The cache key stored in the entry.
      type: str
      sample: /webgateway/render_thumbnail/1234/
    path:
      description: The entry's file.
      type: str
      sample: /var/cache/nginx/omero/thumbnails/c/29/b7f54b2df7773722d382f4809d65029c
warmed:
  description: URLs fetched through the cache-buster listener (status is null in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL requested.
      type: str
      sample: http://127.0.0.1:9000/webgateway/render_thumbnail/1234/
    status:
      description: HTTP status of the answer, null when the request failed before one.
      type: int
      sample: 200
    error:
      description: Why the request failed, when it did.
      type: str
      sample: "HTTP Error 502: Bad Gateway"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.bioimage.omero.plugins.module_utils._option_domains import (
    ABSOLUTE_PATH,
    HTTP_URL,
    POSITIVE,
    fail_on_bad_options,
)
from ansible_collections.bioimage.omero.plugins.module_utils._proxy_cache import (
    cache_key,
    find_all,
    find_keys,
    find_prefixes,
    parse_levels,
    remove_entries,
    warm_target,
)


def warm(urls, base_url, timeout):
    """Fetch each URL through the cache-buster listener; read the body so nginx stores it."""
    results = []
    for url in urls:
        target = warm_target(base_url, url)
        entry = {"url": target, "status": None}
        try:
            response = open_url(target, method="GET", timeout=timeout, follow_redirects="none")
            response.read()
            entry["status"] = response.getcode()
        except Exception as exc:  # report every failure, try every URL
            entry["status"] = getattr(exc, "code", None)
            entry["error"] = str(exc)
        results.append(entry)
    return results


OPTION_DOMAINS = {"cache_dir": ABSOLUTE_PATH, "timeout": POSITIVE, "warm_base_url": HTTP_URL}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cache_dir=dict(type="path", default="/var/cache/nginx/omero"),
            levels=dict(type="str", default="1:2"),
            strip_args=dict(type="list", elements="str", default=["_"]),
            purge_all=dict(type="bool", default=False),
            purge_urls=dict(type="list", elements="str", default=[]),
            purge_prefixes=dict(type="list", elements="str", default=[]),
            warm_urls=dict(type="list", elements="str", default=[]),
            warm_base_url=dict(type="str", default="http://127.0.0.1:9000"),
            timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    p = module.params
    fail_on_bad_options(module, OPTION_DOMAINS)
    if not (p["purge_all"] or p["purge_urls"] or p["purge_prefixes"] or p["warm_urls"]):
        module.fail_json(msg="Nothing to do: set purge_all, purge_urls, purge_prefixes or warm_urls")
    try:
        levels = parse_levels(p["levels"])
        keys = [cache_key(url, p["strip_args"]) for url in p["purge_urls"]]
        # prefixes are matched against keys, so they get the same host removal
        prefixes = [cache_key(prefix, []) for prefix in p["purge_prefixes"]]
        for url in p["warm_urls"]:
            cache_key(url, [])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    if p["purge_all"]:
        try:
            purged = find_all(p["cache_dir"])
        except ValueError as exc:
            module.fail_json(msg=str(exc))
    else:
        purged = find_keys(p["cache_dir"], keys, levels)
        if prefixes:
            known = {entry["path"] for entry in purged}
            purged += [entry for entry in find_prefixes(p["cache_dir"], prefixes) if entry["path"] not in known]

    if module.check_mode:
        warmed = [{"url": warm_target(p["warm_base_url"], url), "status": None} for url in p["warm_urls"]]
    else:
        remove_entries(purged)
        warmed = warm(p["warm_urls"], p["warm_base_url"], p["timeout"])

    result = dict(changed=bool(purged or warmed), purged=purged, warmed=warmed)
    failures = [] if module.check_mode else [entry for entry in warmed if entry["status"] != 200]
    if failures:
        module.fail_json(msg=f"{len(failures)} of {len(warmed)} warm-up requests failed", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
