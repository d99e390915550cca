# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``omero-import-buffer-clean``: the buffer's data lifetime, run by a timer on the buffer host.

Each entry ``ROOT/GROUP/USER/NAME`` is looked up in the import queue (read-only role):

- an entry with a request still queued, syncing or importing (itself or below it) is kept, always;
- an entry imported by a request of exactly that path is deleted ``keep_after_import_seconds``
  after the import finished;
- any other entry is deleted once nothing in it changed for ``max_age_seconds`` (the hard limit),
  and only if a warning was given at least ``warning_seconds`` before (journal, state file and a
  notice file ``.buffer-expiry-notice.txt`` in the user's directory).

When the queue cannot be read nothing is deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

from ._cache_schema import connect

DEFAULT_CONFIG = "/etc/omero-import-buffer/clean.json"
NOTICE = ".buffer-expiry-notice.txt"
ACTIVE = ("queued", "syncing", "importing")


def entries(root):
    """``GROUP/USER/NAME`` of every entry three levels below the root (dot names skipped)."""
    out = []
    for group in sorted(os.listdir(root)):
        gdir = os.path.join(root, group)
        if group.startswith(".") or os.path.islink(gdir) or not os.path.isdir(gdir):
            continue
        for user in sorted(os.listdir(gdir)):
            udir = os.path.join(gdir, user)
            if user.startswith(".") or os.path.islink(udir) or not os.path.isdir(udir):
                continue
            out += [f"{group}/{user}/{n}" for n in sorted(os.listdir(udir)) if not n.startswith(".")]
    return out


def newest_mtime(path):
    """Newest modification time in the tree (symlinks not followed)."""
    newest = os.lstat(path).st_mtime
    if os.path.isdir(path) and not os.path.islink(path):
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                with_time = os.lstat(os.path.join(dirpath, name)).st_mtime
                newest = max(newest, with_time)
    return newest


def decide(rel, newest, requests, warned_at, now, cfg):
    """(action, reason) for one entry: keep, warn or delete. ``requests``: (path, state, finished epoch)."""
    mine = [r for r in requests if r[0] == rel or r[0].startswith(rel + "/")]
    waiting = [r for r in mine if r[1] in ACTIVE]
    if waiting:
        return "keep", f"request {waiting[0][1]}: still waiting for its import"
    imported = [r[2] for r in mine if r[0] == rel and r[1] == "done" and r[2] is not None]
    if imported and now - max(imported) >= cfg["keep_after_import_seconds"]:
        return "delete", "imported"
    age = now - newest
    if age >= cfg["max_age_seconds"] - cfg["warning_seconds"]:
        if warned_at is None:
            return "warn", f"unchanged for {age / 86400:.1f} days; deleted after {cfg['max_age_seconds'] / 86400:.1f}"
        if age >= cfg["max_age_seconds"] and now - warned_at >= cfg["warning_seconds"]:
            return "delete", f"older than the hard limit ({cfg['max_age_seconds']} s), warned before"
        return "warn", "warned already"
    return "keep", "imported recently" if imported else "within its lifetime"


def read_requests(database):
    conn = connect(database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT path, state, EXTRACT(EPOCH FROM finished_at) FROM import_request")
            return [(p, s, float(f) if f is not None else None) for p, s, f in cur.fetchall()]
    finally:
        conn.close()


def write_notices(root, warnings, now, cfg):
    """One notice file per user directory listing what will be deleted and when; removed when empty."""
    per_user = {}
    for rel, when in warnings.items():
        per_user.setdefault(rel.rsplit("/", 1)[0], []).append((rel.rsplit("/", 1)[1], when))
    for group in os.listdir(root):
        gdir = os.path.join(root, group)
        if not os.path.isdir(gdir) or group.startswith("."):
            continue
        for user in os.listdir(gdir):
            udir = os.path.join(gdir, user)
            notice = os.path.join(udir, NOTICE)
            items = per_user.get(f"{group}/{user}")
            if not items:
                if os.path.lexists(notice):
                    os.unlink(notice)
                continue
            text = "These entries will be deleted from the buffer (not imported, older than the limit):\n"
            for name, warned in sorted(items):
                when = max(warned + cfg["warning_seconds"], now)
                text += f"{name}\tnot before {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(when))}\n"
            if os.path.lexists(notice):
                os.unlink(notice)
            fd = os.open(notice, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)


def stdout_log(msg):
    """One line on stdout (the journal, under systemd)."""
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def clean(cfg, requests, now, dry_run=False, log=stdout_log):
    """One pass; returns {'deleted': [...], 'warned': [...], 'kept': n}."""
    try:
        with open(cfg["state_file"], encoding="utf-8") as fh:
            warned = json.load(fh)
    except FileNotFoundError:
        warned = {}
    result = {"deleted": [], "warned": [], "kept": 0}
    still = {}
    for rel in entries(cfg["root"]):
        path = os.path.join(cfg["root"], rel)
        action, reason = decide(rel, newest_mtime(path), requests, warned.get(rel), now, cfg)
        if action == "delete":
            log(f"delete {rel}: {reason}")
            if not dry_run:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            result["deleted"].append(rel)
        elif action == "warn":
            still[rel] = warned.get(rel, now)
            if rel not in warned:
                log(f"WARNING {rel}: {reason}")
                result["warned"].append(rel)
            result["kept"] += 1
        else:
            result["kept"] += 1
    if not dry_run:
        tmp = cfg["state_file"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(still, fh, indent=1, sort_keys=True)
        os.replace(tmp, cfg["state_file"])
        write_notices(cfg["root"], still, now, cfg)
    return result


def main(argv):
    parser = argparse.ArgumentParser(prog="omero-import-buffer-clean")
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    parser.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as fh:
        cfg = json.loads("".join(line for line in fh if not line.lstrip().startswith("#")))
    try:
        requests = read_requests(cfg["database"])
    except Exception as exc:
        sys.stderr.write(f"omero-import-buffer-clean: cannot read the import queue, nothing deleted: {exc}\n")
        return 1
    result = clean(cfg, requests, time.time(), dry_run=args.dry_run)
    stdout_log(json.dumps(result, sort_keys=True))
    return 0
