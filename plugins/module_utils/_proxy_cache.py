# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nginx proxy cache on disk: keys, file paths, key headers (no Ansible needed).

nginx stores an entry of a ``proxy_cache_path DIR levels=1:2`` zone in
``DIR/<last hex digit>/<two digits before it>/<md5 hex of the key>``, and writes
``\\nKEY: <key>\\n`` into the binary header at the start of the file. The bioimage.omero
proxy uses the request URI (no host) as the key, after removing cache-busting query
arguments with one nginx ``map`` per argument (``strip_patterns``: the role's template
renders the same regexes); ``cache_key`` repeats that rewrite exactly.
"""

from __future__ import annotations

import hashlib
import os
import re

KEY_MARKER = b"\nKEY: "
HEADER_READ_BYTES = 65536
_ENTRY_NAME = re.compile(r"^[0-9a-f]{32}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def parse_levels(levels):
    """'1:2' -> (1, 2), as nginx's levels= parameter (1 to 3 levels of 1 or 2 digits)."""
    parts = str(levels).split(":")
    if not 1 <= len(parts) <= 3 or any(p not in ("1", "2") for p in parts):
        raise ValueError(f"levels must look like nginx's levels= parameter (e.g. '1:2'), got {levels!r}")
    return tuple(int(p) for p in parts)


def request_uri(url):
    """The part of a URL nginx sees as $request_uri: path and query, no scheme, host or fragment."""
    url = url.split("#", 1)[0]
    if _SCHEME.match(url):
        rest = url.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    if not url.startswith("/"):
        raise ValueError(f"a URL must be absolute (http://host/path) or start with '/', got {url!r}")
    return url


def strip_patterns(arg):
    """The regexes of the role's nginx map for one argument, in the map's order (first match wins)."""
    name = re.escape(arg)
    return (
        (r"^(.*)\?" + name + r"=[^&]*$", r"\1"),  # the only argument: drop the '?' too
        (r"^(.*[?&])" + name + r"=[^&]*&(.*)$", r"\1\2"),  # followed by others
        (r"^(.*)&" + name + r"=[^&]*$", r"\1"),  # the last of several
    )


def strip_arg(uri, arg):
    """Remove one cache-busting argument exactly as the role's nginx map does (one occurrence)."""
    for pattern, replacement in strip_patterns(arg):
        match = re.match(pattern, uri)
        if match is not None:
            return match.expand(replacement)
    return uri


def cache_key(url, strip_args=("_",)):
    """The proxy's cache key for a URL: $request_uri with the cache-busting args removed."""
    key = request_uri(url)
    for arg in strip_args:
        key = strip_arg(key, arg)
    return key


def _md5_hex(data):
    """nginx names cache files by md5 (not a security use; FIPS builds need the flag)."""
    try:
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    except TypeError:  # Python < 3.9
        return hashlib.md5(data).hexdigest()  # noqa: S324


def layout(digest, levels=(1, 2)):
    """Directories + name for an md5 hex digest, as nginx's ngx_create_hashed_filename:
    the first level is the last characters of the digest, the next level the ones before."""
    parts = []
    end = len(digest)
    for level in levels:
        parts.append(digest[end - level : end])
        end -= level
    return os.path.join(*parts, digest)


def hashed_path(key, levels=(1, 2)):
    """Path of a key's entry relative to its zone directory."""
    return layout(_md5_hex(key.encode("utf-8")), levels)


def read_key(path):
    """The key stored in a cache file's header, or None when the file has none (or is gone)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEADER_READ_BYTES)
    except OSError:
        return None
    start = head.find(KEY_MARKER)
    if start < 0:
        return None
    start += len(KEY_MARKER)
    end = head.find(b"\n", start)
    if end < 0:
        return None
    return head[start:end].decode("utf-8", "surrogateescape")


def zone_dirs(cache_dir):
    """The cache root itself plus its immediate subdirectories (one per zone)."""
    dirs = [cache_dir]
    try:
        entries = sorted(os.listdir(cache_dir))
    except OSError:
        return dirs
    dirs.extend(os.path.join(cache_dir, e) for e in entries if os.path.isdir(os.path.join(cache_dir, e)))
    return dirs


def iter_entries(cache_dir):
    """Every cache entry file below cache_dir (temporary files are skipped)."""
    for root, dirs, files in os.walk(cache_dir):
        dirs.sort()
        for name in sorted(files):
            if _ENTRY_NAME.match(name):
                yield os.path.join(root, name)


def find_keys(cache_dir, keys, levels=(1, 2)):
    """Entries holding exactly these keys: computed paths in each zone, checked against the header."""
    found = []
    for key in keys:
        relative = hashed_path(key, levels)
        for zone in zone_dirs(cache_dir):
            path = os.path.join(zone, relative)
            if os.path.isfile(path) and read_key(path) == key:
                found.append({"key": key, "path": path})
    return found


def find_prefixes(cache_dir, prefixes):
    """Entries whose key starts with one of the prefixes (reads every entry's header)."""
    found = []
    for path in iter_entries(cache_dir):
        key = read_key(path)
        if key is not None and any(key.startswith(p) for p in prefixes):
            found.append({"key": key, "path": path})
    return found


def find_all(cache_dir):
    """Every entry of the nginx cache under cache_dir, with its key, for purge_all.

    Refuses (ValueError) the root directory, and a directory holding files named like cache
    entries (32 hex digits) without nginx's ``KEY:`` header: that is not an nginx cache, and
    purge_all would delete someone's files.
    """
    if os.path.realpath(cache_dir) == "/":
        raise ValueError(
            f"cache_dir must be an nginx proxy_cache_path directory, not / (got {cache_dir!r}); purge_all deletes every"
            " cache entry below it (the role's proxy_cache_dir, /var/cache/nginx/omero by default)"
        )
    entries, strangers = [], []
    for path in iter_entries(cache_dir):
        key = read_key(path)
        if key is None:
            strangers.append(path)
        else:
            entries.append({"key": key, "path": path})
    if strangers:
        raise ValueError(
            f"cache_dir {cache_dir} does not look like an nginx cache: {len(strangers)} file"
            f"{' named like a cache entry has' if len(strangers) == 1 else 's named like cache entries have'}"
            f" no nginx 'KEY:' header (first: {strangers[0]}); purge_all deleted nothing. Point cache_dir at the"
            " proxy's proxy_cache_path directory (the role's proxy_cache_dir)"
        )
    return entries


def remove_entries(entries):
    """Delete entry files; nginx then treats them as misses. Returns how many were removed."""
    removed = 0
    for entry in entries:
        try:
            os.unlink(entry["path"])
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def warm_target(base_url, url):
    """The URL to fetch through the cache-buster listener for a public URL or path."""
    return base_url.rstrip("/") + request_uri(url)
