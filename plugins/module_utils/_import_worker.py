# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One in-place import worker slot on the read-write node: claim, sync, split, import, record.

A request goes through: wait until its buffer directory is complete (marker
file or quiescence), pull it with rsync over SSH (read-only key, checksums,
bandwidth limit) into the staging area, list its filesets, and import them one
at a time as the request's OMERO user. Each imported fileset is recorded before
the next one starts; before importing, the OMERO database is asked whether a
fileset of the same files exists already (an import that finished just before
a crash), so nothing is imported twice.

Run by systemd as ``omero-import-worker@N.service`` through the host_tools
launcher (``_import_worker_cli``). Needs no Ansible.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time

from . import _import_queue as q
from ._cache_schema import connect
from ._leased_child import LOST, LeasedChildRunner, stdout_log

LIST_LINE_RE = re.compile(r"^([-dlpscb][-rwxsStT]{9})\s+([0-9,]+)\s+(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\s(.+)$")

# Creates a sudo session for the request's user with the admin's password from the
# environment and stores it in OMERO_SESSIONDIR, where `omero import -s HOST -u USER`
# (and `omero hql`/`omero obj`) find it: no password or session key on any command line.
# GROUP_OF ("Dataset:51", "Project:7" or empty) puts the session in that object's group
# (a target in another of the user's groups); empty: the user's default group.
SUDO_SESSION_PY = r"""
import os, sys
import omero, omero.clients
from omero.util.sessions import SessionsStore
host, port, admin, user, group_of, idle_ms = sys.argv[1:7]
c = omero.client(host=host, port=int(port))
try:
    s = c.createSession(admin, os.environ["OMERO_IMPORT_ADMIN_PASSWORD"])
    group = None
    if group_of:
        kind, oid = group_of.split(":")
        obj = s.getQueryService().get(kind, int(oid), {"omero.group": "-1"})
        group = s.getAdminService().getGroup(obj.getDetails().getGroup().getId().getValue()).getName().getValue()
    p = omero.sys.Principal()
    p.name = user
    p.group = group
    p.eventType = "User"
    key = s.getSessionService().createSessionWithTimeouts(p, 0, int(idle_ms)).getUuid().val
    store = SessionsStore(os.environ["OMERO_SESSIONDIR"])
    store.add(host, user, key, {"omero.port": port})
    store.set_current(host, user, key)
finally:
    c.closeSession()
"""


def parse_listing(text):
    """``rsync --list-only -r`` output -> {relative path: (type, size, mtime epoch)}."""
    entries = {}
    for line in text.splitlines():
        match = LIST_LINE_RE.match(line.rstrip("\n"))
        if not match:
            continue
        perms, size, stamp, name = match.groups()
        if perms[0] == "l":
            name = name.split(" -> ", 1)[0]
        mtime = time.mktime(time.strptime(stamp, "%Y/%m/%d %H:%M:%S"))
        entries[name] = (perms[0], int(size.replace(",", "")), mtime)
    return entries


def completeness(entries, marker, quiescence, now):
    """(complete, reason). Complete when the marker file is at the top, or nothing changed for ``quiescence`` s."""
    files = {k: v for k, v in entries.items() if v[0] != "d"}
    if marker and marker in files:
        return True, f"marker {marker} present"
    if not files:
        return False, "the directory holds no file yet"
    newest = max(v[2] for v in files.values())
    age = now - newest
    if quiescence and age >= quiescence:
        return True, f"nothing changed for {age:.0f} s (quiescence {quiescence} s)"
    if quiescence:
        return False, f"waiting: newest file changed {age:.0f} s ago (quiescence {quiescence} s, or add {marker})"
    return False, f"waiting for the marker file {marker}"


def signature(entries, marker):
    return sorted((k, v[0], v[1], v[2]) for k, v in entries.items() if k not in (".", marker))


def parse_filesets(output, base):
    """``omero import -f`` output -> {key: [files]}, key the fileset's main file relative to ``base``."""
    filesets = {}
    current = None
    base = base.rstrip("/") + "/"
    for line in output.splitlines():
        line = line.rstrip()
        match = re.match(r"^#\s*Group:\s*(.+?)\s+SPW:", line)
        if match:
            current = match.group(1)
            filesets[current] = []
            continue
        if not line or line.startswith("#") or current is None:
            continue
        filesets[current].append(line)
    out = {}
    for main, files in filesets.items():
        if not main.startswith(base):
            raise ValueError(f"fileset {main} is outside {base}")
        out[main[len(base) :]] = files or [main]
    return out


def fill(template, values):
    """Split the command template like a shell (no shell runs it) and fill the {placeholders}."""
    argv = []
    for arg in shlex.split(template):
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", str(value))
        argv.append(arg)
    return argv


def group_of(req):
    """The object whose group the import session joins: the target when given by id, else none."""
    if req.get("target_id") is not None:
        return f"{req['target_type']}:{req['target_id']}"
    return ""


def cli_login(config, user):
    """The login arguments of an omero CLI command that uses the stored sudo session of ``user``."""
    return ["-s", str(config.get("omero_host", "localhost")), "-p", str(config.get("omero_port", 4064)), "-u", user]


def hql_argv(config, user, query):
    """``omero hql`` of one id column as ``user``: plain ``INDEX,ID`` rows, at most two (two = ambiguous)."""
    omero = config.get("omero", "omero")
    return [omero, "hql", *cli_login(config, user), "-q", "--style", "plain", "--limit", "2", query]


def obj_new_argv(config, user, cls, **fields):
    """``omero obj new CLS field=value...`` as ``user`` (prints ``CLS:ID``)."""
    omero = config.get("omero", "omero")
    return [omero, "obj", *cli_login(config, user), "-q", "new", cls, *(f"{k}={v}" for k, v in fields.items())]


class Failure(Exception):
    """This attempt of the request failed (counted, retried after a back-off)."""


class Waiting(Exception):
    """The directory is not complete yet (not counted)."""


class Lost(Exception):
    """The request was cancelled or taken over: stop working on it."""


class Worker(LeasedChildRunner):
    def __init__(self, config, slot, connect_fn=connect, log=stdout_log):
        self.config = config
        self.node = config.get("node") or socket.gethostname()
        self.worker = f"{self.node}/{slot}"
        self.connect_fn = connect_fn
        self.log = log
        self.stopping = False
        self.proc = None
        self.conn = None
        self.omero_db = None
        self.lease = int(config.get("lease_seconds", 120))

    # -- plumbing ----------------------------------------------------------------
    def rsync_base(self):
        c = self.config["sync"]
        ssh = [
            "ssh",
            "-i",
            c["key"],
            "-p",
            str(c.get("port", 22)),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={c['known_hosts']}",
            "-o",
            "ConnectTimeout=20",
        ]
        return ["rsync", "-e", " ".join(shlex.quote(a) for a in ssh)]

    def remote(self, path):
        c = self.config["sync"]
        return f"{c['user']}@{c['host']}:{path.rstrip('/')}/"

    def run(self, argv, req, logfh, env=None, what="command", quiet=False):
        """Run a command, its output into the request log (not when ``quiet``); heartbeats meanwhile.

        Returns (rc, output).
        """
        full_env = dict(os.environ)
        full_env.update(self.config.get("environment") or {})
        full_env.update(env or {})
        if not quiet:
            logfh.write(f"$ {' '.join(shlex.quote(a) for a in argv)}\n")
            logfh.flush()
        try:
            rc, output, outcome = self.run_child(
                argv,
                full_env,
                max(1.0, self.lease / 3.0),
                lambda: q.heartbeat(self.conn, req, self.worker, self.lease),
            )
        except OSError as exc:
            raise Failure(f"cannot run {what} {argv[0]}: {exc}") from exc
        if outcome == LOST:
            raise Lost("request cancelled or taken over")
        if not quiet:
            logfh.write(output)
            logfh.write(f"[exit {rc}]\n")
            logfh.flush()
        if self.stopping:
            raise Lost("worker stopping")
        return rc, output

    # -- the steps -----------------------------------------------------------------
    def listing(self, req, logfh):
        rc, out = self.run(
            [*self.rsync_base(), "--list-only", "-r", self.remote(req["path"])], req, logfh, what="rsync"
        )
        if rc != 0:
            raise Failure(f"cannot list {req['path']} on the buffer (rsync exit {rc}): {out.strip()[-300:]}")
        return parse_listing(out)

    def sync(self, req, staging, logfh):
        c = self.config["sync"]
        marker = self.config.get("marker", "")
        first = self.listing(req, logfh)
        complete, why = completeness(first, marker, int(self.config.get("quiescence_seconds", 0)), time.time())
        if not complete:
            raise Waiting(why)
        q.set_state(self.conn, req, self.worker, "syncing", f"syncing ({why})")
        os.makedirs(staging, mode=0o2750, exist_ok=True)
        argv = [*self.rsync_base(), "-rlt", "--checksum", "--delete", "--chmod=D2750,F0440"]
        if int(c.get("bwlimit_kib", 0)):
            argv.append(f"--bwlimit={int(c['bwlimit_kib'])}")
        if marker:
            argv.append(f"--exclude=/{marker}")
        argv += [self.remote(req["path"]), staging.rstrip("/") + "/"]
        rc, out = self.run(argv, req, logfh, what="rsync")
        if rc != 0:
            raise Failure(f"rsync of {req['path']} failed (exit {rc}): {out.strip()[-300:]}")
        second = self.listing(req, logfh)
        if signature(first, marker) != signature(second, marker):
            raise Waiting("the directory changed during the sync; syncing again once it is complete")

    def filesets(self, req, staging, logfh):
        argv = fill(self.config["list_command"], {"omero": self.config.get("omero", "omero"), "path": staging})
        rc, out = self.run(argv, req, logfh, what="list command")
        if rc != 0:
            raise Failure(f"listing the filesets failed (exit {rc}): {out.strip()[-300:]}")
        try:
            found = parse_filesets(out, staging)
        except ValueError as exc:
            raise Failure(str(exc)) from exc
        if not found:
            raise Failure("no importable fileset in the directory")
        return found

    def existing_fileset(self, staging, files):
        """The id of an OMERO fileset made of exactly these files (None when unknown or no OMERO database)."""
        if not self.config.get("omero_database"):
            return None
        if self.omero_db is None:
            try:
                self.omero_db = self.connect_fn(self.config["omero_database"])
            except Exception as exc:
                raise Failure(f"cannot connect to OMERO's database: {exc}") from exc
        paths = [f if f.startswith("/") else os.path.join(staging, f) for f in files]
        candidates = paths + [p.lstrip("/") for p in paths]
        try:
            return self._existing_fileset(candidates, len(set(paths)))
        except Exception as exc:
            with contextlib.suppress(Exception):
                self.omero_db.close()
            self.omero_db = None
            raise Failure(f"cannot ask OMERO's database for existing filesets: {exc}") from exc

    def _existing_fileset(self, candidates, count):
        with self.omero_db, self.omero_db.cursor() as cur:
            # A fileset without an image is an import that died half-way: not counted.
            cur.execute(
                "SELECT e.fileset FROM filesetentry e WHERE e.clientpath = ANY(%s)"
                " AND EXISTS (SELECT 1 FROM image i WHERE i.fileset = e.fileset)"
                " GROUP BY e.fileset HAVING count(DISTINCT ltrim(e.clientpath, '/')) = %s ORDER BY e.fileset LIMIT 1",
                (candidates, count),
            )
            row = cur.fetchone()
        return row[0] if row else None

    def sudo_env(self, req, sessiondir, logfh):
        sudo = self.config.get("sudo") or {}
        if not sudo.get("enabled"):
            return {}
        os.makedirs(sessiondir, mode=0o700, exist_ok=True)
        env = {"OMERO_SESSIONDIR": sessiondir}
        argv = [
            sudo["python"],
            "-c",
            SUDO_SESSION_PY,
            self.config["omero_host"],
            str(self.config.get("omero_port", 4064)),
            sudo["admin_user"],
            req["omero_user"],
            group_of(req),
            str(int(sudo.get("idle_ms", 600000))),
        ]
        rc, out = self.run(argv, req, logfh, env=env, what="sudo session")
        if rc != 0:
            raise Failure(f"cannot open a session for {req['omero_user']} (exit {rc}): {out.strip()[-300:]}")
        return env

    # -- a Project target: find or create the dataset in the project, as the user ----------
    def omero_cli(self, req, argv, env, logfh, what):
        rc, out = self.run(argv, req, logfh, env=env, what=what)
        if rc != 0:
            raise Failure(f"{what} failed (exit {rc}): {out.strip()[-300:]}")
        return out

    def omero_ids(self, req, query, env, logfh):
        out = self.omero_cli(req, hql_argv(self.config, req["omero_user"], query), env, logfh, "omero hql")
        try:
            return q.parse_hql_ids(out)
        except q.QueueError as exc:
            raise Failure(str(exc)) from exc

    def omero_new(self, req, env, logfh, cls, **fields):
        argv = obj_new_argv(self.config, req["omero_user"], cls, **fields)
        out = self.omero_cli(req, argv, env, logfh, f"omero obj new {cls}")
        try:
            return q.parse_obj_new(out, cls)
        except q.QueueError as exc:
            raise Failure(str(exc)) from exc

    def record(self, req, **ids):
        if not q.set_resolved(self.conn, req, self.worker, **ids):
            raise Lost("request cancelled or taken over")

    def project_dataset(self, req, env, logfh):
        """The id of the dataset named ``dataset_name`` in the target project, found or created and linked.

        Idempotent: a dataset of that name already linked to the project is reused; each id found
        or created is recorded in the request before the next step, so a resumed request neither
        creates a second project or dataset nor links twice.
        """
        user = req["omero_user"]
        project = req["target_id"] if req["target_id"] is not None else req.get("resolved_project")
        if project is None:
            found = self.omero_ids(req, q.project_query(req["target_name"], user), env, logfh)
            if len(found) > 1:
                raise Failure(f"{user} owns several projects named {req['target_name']!r}: give Project:ID")
            project = found[0] if found else self.omero_new(req, env, logfh, "Project", name=req["target_name"])
            self.record(req, project=project)
        dataset = req.get("resolved_dataset")
        if dataset is None:
            found = self.omero_ids(req, q.project_dataset_query(project, req["dataset_name"]), env, logfh)
            if len(found) > 1:
                raise Failure(f"Project:{project} holds several datasets named {req['dataset_name']!r}")
            if found:
                self.record(req, dataset=found[0])
                return found[0]
            dataset = self.omero_new(req, env, logfh, "Dataset", name=req["dataset_name"])
            self.record(req, dataset=dataset)
        if not self.omero_ids(req, q.project_link_query(project, dataset), env, logfh):
            link = {"parent": f"Project:{project}", "child": f"Dataset:{dataset}"}
            self.omero_new(req, env, logfh, "ProjectDatasetLink", **link)
            logfh.write(f"Dataset:{dataset} {req['dataset_name']!r} linked to Project:{project}\n")
        return dataset

    def import_filesets(self, req, staging, logfh):
        found = self.filesets(req, staging, logfh)
        q.record_filesets(self.conn, req, found)
        pending = q.pending_filesets(self.conn, req)
        if not pending:
            return
        sessiondir = os.path.join(self.config["state_dir"], "sessions", str(req["id"]))
        try:
            env = self.sudo_env(req, sessiondir, logfh)
            if req["target_type"] == "Project":
                self.project_dataset(req, env, logfh)
            for key, files in pending:
                if self.stopping:
                    raise Lost("worker stopping")
                if not q.heartbeat(self.conn, req, self.worker, self.lease, f"importing {key}"):
                    raise Lost("request cancelled or taken over")
                existing = self.existing_fileset(staging, files)
                if existing is not None:
                    logfh.write(f"{key}: already in OMERO as Fileset:{existing}, not imported again\n")
                    q.fileset_done(self.conn, req, self.worker, key, existing, "found in OMERO")
                    continue
                main = os.path.join(staging, key)
                argv = fill(
                    self.config["import_command"],
                    {
                        "omero": self.config.get("omero", "omero"),
                        "host": self.config.get("omero_host", "localhost"),
                        "port": self.config.get("omero_port", 4064),
                        "user": req["omero_user"],
                        "transfer": req["transfer"],
                        "target": q.target_string(req),
                        "path": main,
                    },
                )
                rc, out = self.run(argv, req, logfh, env=env, what="import command")
                if rc != 0:
                    raise Failure(f"import of {key} failed (exit {rc}): {out.strip()[-300:]}")
                if not q.fileset_done(
                    self.conn, req, self.worker, key, self.existing_fileset(staging, files), "imported"
                ):
                    raise Lost("request taken over")
                self.log(f"{self.worker}: request {req['id']} {key} imported")
        finally:
            shutil.rmtree(sessiondir, ignore_errors=True)

    def work(self, req):
        staging = os.path.join(self.config["staging_dir"], str(req["id"]))
        log_path = os.path.join(self.config["log_dir"], f"request-{req['id']}.log")
        waiting_before = req["state"] == "syncing" and (req.get("message") or "").startswith("waiting")
        with open(log_path, "a", encoding="utf-8") as logfh:
            if not waiting_before:
                logfh.write(f"== {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {self.worker} {req['state']}\n")
            try:
                if req["state"] == "syncing":
                    self.sync(req, staging, logfh)
                    q.set_state(self.conn, req, self.worker, "importing", "importing")
                self.import_filesets(req, staging, logfh)
                q.finish(self.conn, req, self.worker, staging, "imported")
                logfh.write("done\n")
                self.log(f"{self.worker}: request {req['id']} done")
            except Waiting as exc:
                message = str(exc) if str(exc).startswith("waiting") else f"waiting: {exc}"
                q.wait(self.conn, req, self.worker, float(self.config.get("poll_seconds", 10)), message)
                if not waiting_before:
                    logfh.write(f"{message}\n")
            except Failure as exc:
                new = q.fail_attempt(
                    self.conn,
                    req,
                    self.worker,
                    str(exc),
                    float(self.config.get("backoff_seconds", 60)),
                    float(self.config.get("backoff_max_seconds", 3600)),
                )
                logfh.write(f"failed: {exc} -> {new}\n")
                self.log(f"{self.worker}: request {req['id']} failed: {exc} -> {new}")
            except Lost as exc:
                if self.stopping:
                    q.release(self.conn, req, self.worker)
                logfh.write(f"stopped: {exc}\n")

    def run_loop(self, max_requests=None):
        """Claim and work until stopped (or after ``max_requests``)."""
        self.conn = self.connect_fn(self.config["database"])
        q.ensure_schema(self.conn, self.config.get("reader_role"))
        poll = float(self.config.get("poll_seconds", 10))
        handled = 0
        while not self.stopping:
            req = q.claim(self.conn, self.worker, self.lease)
            if req is None:
                self.sleep(poll)
                continue
            if not (req.get("message") or "").startswith("waiting"):
                self.log(f"{self.worker}: request {req['id']} ({req['name']}) {req['state']}")
            self.work(req)
            handled += 1
            if max_requests is not None and handled >= max_requests:
                break
        self.conn.close()
        return 0


def buffer_path_exists(config, path):
    """Whether the request directory is still on the buffer (a listing of its parent through the read-only key).

    rrsync refuses a path that does not exist before rsync runs (exit 12, "No such file or
    directory"), so the parent is listed and the name looked up in it; a missing parent means
    the directory is gone too. Any other error raises: nothing is removed on a doubt.
    """
    worker = Worker(config, "housekeeping")
    parent, name = posixpath.split(path.rstrip("/"))
    argv = [*worker.rsync_base(), "--list-only", worker.remote(parent)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)  # pylint: disable=ansible-bad-function
    if proc.returncode == 0:
        return name in parse_listing(proc.stdout)
    if "No such file or directory" in proc.stderr:
        return False
    raise RuntimeError(
        f"cannot ask the buffer about {path} (rsync exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    )


def prune(conn, config, log=stdout_log):
    """Remove the staging copy of done requests once the buffer copy is gone (the sync propagates the deletion).

    With ``ln`` the ManagedRepository link keeps the data; with ``cp`` OMERO holds its own
    copy; with ``ln_s`` the staging copy is the data, so it is never removed.
    """
    removed = 0
    with conn, conn.cursor() as cur:
        rows = q.staging_to_prune(cur)
    for request_id, path, staging, transfer in rows:
        if transfer == "ln_s":
            continue
        if buffer_path_exists(config, path):
            continue
        if os.path.exists(staging):
            shutil.rmtree(staging)
        with conn, conn.cursor() as cur:
            q.staging_removed(cur, request_id)
        log(f"request {request_id}: buffer copy gone, staging copy {staging} removed")
        removed += 1
    return removed


def write_metrics(conn, path, now=None):
    with conn, conn.cursor() as cur:
        m = q.metrics(cur)
    text = q.prometheus_text(m, now if now is not None else time.time())
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".omero_import.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return m
