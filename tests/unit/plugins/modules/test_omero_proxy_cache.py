# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""omero_proxy_cache as a module: purge on a cache tree, warm against a real local HTTP server."""

from __future__ import annotations

import http.server
import os
import threading
import typing

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _proxy_cache as pc
from ansible_collections.bioimage.omero.plugins.modules import omero_proxy_cache
from ansible_collections.bioimage.omero.tests.unit.plugins.modules.module_runner import run_module

KEYS = [
    "/webgateway/render_thumbnail/1/",
    "/webgateway/render_thumbnail/2/",
    "/webgateway/render_image/1/0/0/",
    "/api/v0/m/images/1/",
]


def write_entry(zone_dir, key):
    path = os.path.join(zone_dir, pc.hashed_path(key))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"\x05" + b"\x00" * 200 + b"\nKEY: " + key.encode() + b"\n" + b"HTTP/1.1 200 OK\r\n\r\nbody")
    return path


@pytest.fixture
def cache(tmp_path):
    paths = {}
    for key in KEYS:
        zone = "thumbnails" if "thumbnail" in key else "render" if "render" in key else "api"
        paths[key] = write_entry(str(tmp_path / zone), key)
    return tmp_path, paths


def run(capsys, check=False, **args):
    return run_module(omero_proxy_cache, dict(args, _ansible_check_mode=check), capsys)


def remaining(paths):
    return sorted(key for key, path in paths.items() if os.path.exists(path))


def test_purge_one_url_removes_only_that_entry(capsys, cache):
    root, paths = cache
    out = run(capsys, cache_dir=str(root), purge_urls=["https://public.example/webgateway/render_thumbnail/1/?_=99"])
    assert out["changed"]
    assert out["purged"] == [{"key": KEYS[0], "path": paths[KEYS[0]]}]
    assert remaining(paths) == sorted(KEYS[1:])
    again = run(capsys, cache_dir=str(root), purge_urls=["/webgateway/render_thumbnail/1/"])
    assert not again["changed"]


def test_purge_prefix(capsys, cache):
    root, paths = cache
    out = run(capsys, cache_dir=str(root), purge_prefixes=["/webgateway/"], purge_urls=[KEYS[0]])
    assert sorted(e["key"] for e in out["purged"]) == sorted(KEYS[:3])
    assert remaining(paths) == [KEYS[3]]


def test_purge_all_in_check_mode_then_for_real(capsys, cache):
    root, paths = cache
    out = run(capsys, check=True, cache_dir=str(root), purge_all=True)
    assert out["changed"]
    assert len(out["purged"]) == len(KEYS)
    assert remaining(paths) == sorted(KEYS)
    out = run(capsys, cache_dir=str(root), purge_all=True)
    assert remaining(paths) == []


def test_nothing_to_do_fails(capsys, tmp_path):
    out = run(capsys, cache_dir=str(tmp_path))
    assert out["rc"] == 1
    assert "Nothing to do" in out["msg"]


def test_bad_url_fails(capsys, tmp_path):
    out = run(capsys, cache_dir=str(tmp_path), purge_urls=["relative/path"])
    assert out["rc"] == 1
    assert "start with '/'" in out["msg"]


class Handler(http.server.BaseHTTPRequestHandler):
    seen: typing.ClassVar[list] = []

    def do_GET(self):
        Handler.seen.append(self.path)
        status = 502 if self.path.startswith("/broken") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_warm_fetches_through_the_listener(capsys, tmp_path, server):
    out = run(capsys, cache_dir=str(tmp_path), warm_base_url=server, warm_urls=["https://x.example/a/?b=1", "/c/"])
    assert out["rc"] == 0
    assert out["changed"]
    assert Handler.seen == ["/a/?b=1", "/c/"]
    assert [w["status"] for w in out["warmed"]] == [200, 200]


def test_warm_failure_is_reported_after_trying_every_url(capsys, tmp_path, server):
    out = run(capsys, cache_dir=str(tmp_path), warm_base_url=server, warm_urls=["/broken/", "/fine/"])
    assert out["rc"] == 1
    assert out["msg"] == "1 of 2 warm-up requests failed"
    assert Handler.seen == ["/broken/", "/fine/"]
    assert out["warmed"][0]["status"] == 502


def test_warm_in_check_mode_sends_nothing(capsys, tmp_path, server):
    out = run(capsys, check=True, cache_dir=str(tmp_path), warm_base_url=server, warm_urls=["/a/"])
    assert out["changed"]
    assert Handler.seen == []
    assert out["warmed"] == [{"url": server + "/a/", "status": None}]


def test_purge_all_refuses_the_root_directory(capsys, monkeypatch):
    def must_not_walk(*_args, **_kwargs):
        raise AssertionError("purge_all walked / before refusing it")

    monkeypatch.setattr(pc.os, "walk", must_not_walk)
    for root in ("/", "//", "/var/.."):
        out = run(capsys, cache_dir=root, purge_all=True)
        assert out["rc"] == 1
        assert out["msg"].startswith("cache_dir must be an nginx proxy_cache_path directory, not /")


def test_purge_all_refuses_a_directory_whose_files_are_not_nginx_cache_entries(capsys, cache, tmp_path):
    root, paths = cache
    # A file named like a cache entry (32 hex digits) without nginx's KEY: header: not a cache.
    stranger = tmp_path / "api" / "0123456789abcdef0123456789abcdef"
    stranger.write_bytes(b"a user's file, named by its md5\n")
    out = run(capsys, cache_dir=str(root), purge_all=True)
    assert out["rc"] == 1
    assert out["msg"].startswith(f"cache_dir {root} does not look like an nginx cache: 1 file named like a cache entry")
    assert str(stranger) in out["msg"]
    assert remaining(paths) == sorted(KEYS)
    assert stranger.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"cache_dir": "var/cache/nginx/omero", "purge_all": True}, "cache_dir must be an absolute path"),
        ({"purge_all": True, "timeout": 0}, "timeout must be a number of seconds greater than 0, got 0"),
        ({"purge_all": True, "timeout": -5}, "timeout must be a number of seconds greater than 0, got -5"),
        ({"warm_urls": ["/"], "warm_base_url": "127.0.0.1:9000"}, "warm_base_url must be an http:// or https:// URL"),
    ],
)
def test_values_outside_their_domain_are_refused(capsys, cache, args, message):
    root, paths = cache
    out = run(capsys, **dict({"cache_dir": str(root)}, **args))
    assert out["rc"] == 1
    assert out["msg"].startswith(message)
    assert remaining(paths) == sorted(KEYS)
