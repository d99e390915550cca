# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cache keys and nginx's on-disk layout (molecule checks the same against a live nginx)."""

from __future__ import annotations

import hashlib
import os

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _proxy_cache as pc


def write_entry(zone_dir, key, body=b"body"):
    """A cache file shaped like nginx's: binary header, KEY line, response headers, body."""
    path = os.path.join(zone_dir, pc.hashed_path(key))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"\x05\x00\x00\x00" + b"\x00" * 300 + b"\nKEY: " + key.encode() + b"\n")
        handle.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n" + body)
    return path


def test_layout_matches_the_nginx_documentation():
    # proxy_cache_path docs: levels=1:2 gives /data/nginx/cache/c/29/b7f54b2df7773722d382f4809d65029c
    digest = "b7f54b2df7773722d382f4809d65029c"
    assert pc.layout(digest, (1, 2)) == "c/29/" + digest
    assert pc.layout(digest, (2,)) == "9c/" + digest
    assert pc.layout(digest, (1, 1, 2)) == "c/9/02/" + digest


def test_hashed_path_is_md5_of_the_key():
    key = "/webgateway/render_thumbnail/1/"
    digest = hashlib.md5(key.encode()).hexdigest()  # noqa: S324
    assert pc.hashed_path(key) == os.path.join(digest[-1], digest[-3:-1], digest)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [("1:2", (1, 2)), ("2", (2,)), ("1:1:2", (1, 1, 2))],
)
def test_parse_levels(levels, expected):
    assert pc.parse_levels(levels) == expected


@pytest.mark.parametrize("levels", ["", "3", "1:2:2:1", "a:b", "0:1"])
def test_parse_levels_rejects(levels):
    with pytest.raises(ValueError, match="levels"):
        pc.parse_levels(levels)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/webclient/?experimenter=-1", "/webclient/?experimenter=-1"),
        ("https://idr.example.org/api/v0/m/images/?_=1700000000", "/api/v0/m/images/"),
        ("http://localhost:9000/x?a=1&_=5&b=2", "/x?a=1&b=2"),
        ("/x?_=5&b=2", "/x?b=2"),
        ("/x?a=1&_=5", "/x?a=1"),
        ("/x?_=", "/x"),
        ("/x?a_=1", "/x?a_=1"),
        ("/x?__=1", "/x?__=1"),
        ("http://host", "/"),
        ("/page#fragment", "/page"),
    ],
)
def test_cache_key_strips_cache_busters_like_the_nginx_map(url, key):
    assert pc.cache_key(url) == key


def test_cache_key_several_args_in_map_order():
    assert pc.cache_key("/x?t=1&a=2&_=3", ["_", "t"]) == "/x?a=2"
    assert pc.cache_key("/x?t=1&_=3", ["_", "t"]) == "/x"


def test_cache_key_rejects_relative_urls():
    with pytest.raises(ValueError, match="start with '/'"):
        pc.cache_key("webclient/")


def test_read_key(tmp_path):
    path = write_entry(str(tmp_path), "/api/v0/m/images/1/")
    assert pc.read_key(path) == "/api/v0/m/images/1/"
    other = tmp_path / "nokey"
    other.write_bytes(b"\x00" * 100)
    assert pc.read_key(str(other)) is None
    assert pc.read_key(str(tmp_path / "missing")) is None


def test_find_keys_searches_every_zone_and_checks_the_header(tmp_path):
    thumbs = tmp_path / "thumbnails"
    api = tmp_path / "api"
    a = write_entry(str(thumbs), "/webgateway/render_thumbnail/1/")
    b = write_entry(str(api), "/api/v0/m/images/1/")
    found = pc.find_keys(str(tmp_path), ["/webgateway/render_thumbnail/1/", "/not/cached/"])
    assert found == [{"key": "/webgateway/render_thumbnail/1/", "path": a}]
    # a file at the computed path but with another key (a collision) is left alone
    with open(b, "r+b") as handle:
        data = handle.read().replace(b"/api/v0/m/images/1/", b"/api/v0/m/images/9/")
        handle.seek(0)
        handle.write(data)
    assert pc.find_keys(str(tmp_path), ["/api/v0/m/images/1/"]) == []


def test_find_keys_in_a_single_zone_dir(tmp_path):
    a = write_entry(str(tmp_path), "/static/a.js")
    assert pc.find_keys(str(tmp_path), ["/static/a.js"]) == [{"key": "/static/a.js", "path": a}]


def test_find_prefixes_and_all(tmp_path):
    keys = ["/webgateway/render_image/1/0/0/", "/webgateway/render_image/12/0/0/", "/api/v0/m/images/1/"]
    paths = {key: write_entry(str(tmp_path / "z"), key) for key in keys}
    (tmp_path / "z" / "0000000001").write_bytes(b"temporary file")  # nginx temp files are skipped
    found = pc.find_prefixes(str(tmp_path), ["/webgateway/render_image/1/"])
    assert found == [{"key": keys[0], "path": paths[keys[0]]}]
    assert sorted(e["key"] for e in pc.find_all(str(tmp_path))) == sorted(keys)


def test_remove_entries(tmp_path):
    a = write_entry(str(tmp_path), "/a")
    entries = [{"key": "/a", "path": a}, {"key": "/gone", "path": str(tmp_path / "gone")}]
    assert pc.remove_entries(entries) == 1
    assert not os.path.exists(a)


def test_warm_target():
    assert pc.warm_target("http://127.0.0.1:9000/", "https://public.example/api/v0/?_=1") == (
        "http://127.0.0.1:9000/api/v0/?_=1"
    )
    assert pc.warm_target("http://127.0.0.1:9000", "/webclient/") == "http://127.0.0.1:9000/webclient/"
