# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The durable queue of in-place import requests, in the import operations database.

A request is one directory of the buffer, an OMERO user and a target. Workers on
the read-write node claim requests with ``FOR UPDATE SKIP LOCKED`` and a lease
(the pattern of ``_cache_queue``), sync the directory, split it into filesets
and import them one at a time. Every fileset imported is recorded in
``import_fileset`` before the next one starts, so a worker that dies resumes
the request where it stopped: recorded filesets are never imported again.

Installed on the hosts by the host_tools role: imports nothing from Ansible,
psycopg2 only when connecting (``_cache_schema.connect``).
"""

from __future__ import annotations

import posixpath
import re

STATES = ("queued", "syncing", "importing", "done", "failed", "cancelled")
ACTIVE = ("queued", "syncing", "importing")
FINISHED = ("done", "failed", "cancelled")
TRANSFERS = ("ln", "ln_s", "cp")
TARGET_TYPES = ("Dataset", "Screen", "Project")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
OMERO_USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$")
# A path component: no leading dot (no '.', '..' or hidden directories), no slash, no control character.
COMPONENT_RE = re.compile(r"^[^./\x00-\x1f][^/\x00-\x1f]*$")
TAIL_CHARS = 4000
LOCK_KEY = 74210732

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS import_request (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    path text NOT NULL,
    omero_user text NOT NULL,
    target_type text NOT NULL,
    target_id bigint,
    target_name text,
    transfer text NOT NULL DEFAULT 'ln' CHECK (transfer IN ('ln', 'ln_s', 'cp')),
    state text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'syncing', 'importing', 'done', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    not_before timestamptz NOT NULL DEFAULT clock_timestamp(),
    worker text,
    lease_expires timestamptz,
    message text NOT NULL DEFAULT '',
    filesets_total integer,
    filesets_done integer NOT NULL DEFAULT 0,
    staging text,
    staging_removed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at timestamptz,
    progress_at timestamptz,
    finished_at timestamptz,
    CHECK ((target_id IS NULL) <> (target_name IS NULL))
);
CREATE INDEX IF NOT EXISTS import_request_claim ON import_request (state, not_before, id);
CREATE TABLE IF NOT EXISTS import_fileset (
    request bigint NOT NULL REFERENCES import_request (id) ON DELETE CASCADE,
    key text NOT NULL,
    files text[] NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    omero_fileset bigint,
    how text,
    imported_at timestamptz,
    PRIMARY KEY (request, key)
);
CREATE TABLE IF NOT EXISTS import_event (
    id bigserial PRIMARY KEY,
    request bigint NOT NULL REFERENCES import_request (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    state text NOT NULL,
    message text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS import_event_request ON import_event (request, id);
-- Project targets (added later): the dataset to find or create in the project, and the ids the
-- worker resolved (recorded at once, so a resumed request reuses them). Upgrades older tables.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'import_request'
                     AND column_name = 'dataset_name') THEN
        ALTER TABLE import_request ADD COLUMN dataset_name text, ADD COLUMN resolved_project bigint,
            ADD COLUMN resolved_dataset bigint;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'import_request'::regclass
                   AND conname = 'import_request_target_types') THEN
        ALTER TABLE import_request DROP CONSTRAINT IF EXISTS import_request_target_type_check;
        ALTER TABLE import_request ADD CONSTRAINT import_request_target_types
            CHECK (target_type IN ('Dataset', 'Screen', 'Project'))
            , ADD CONSTRAINT import_request_dataset_name_project
            CHECK (dataset_name IS NULL OR target_type = 'Project');
    END IF;
END
$$;
"""

REQUEST_FIELDS = (
    "id",
    "name",
    "path",
    "omero_user",
    "target_type",
    "target_id",
    "target_name",
    "dataset_name",
    "transfer",
    "state",
    "attempts",
    "max_attempts",
    "not_before",
    "worker",
    "message",
    "filesets_total",
    "filesets_done",
    "staging",
    "staging_removed_at",
    "created_at",
    "started_at",
    "progress_at",
    "finished_at",
    "resolved_project",
    "resolved_dataset",
)


COLUMNS = ", ".join(REQUEST_FIELDS)


class QueueError(Exception):
    """A request the queue refuses, with a message naming what is wrong."""


def ensure_schema(conn, reader_role=None):
    """Create the tables (idempotent); grant SELECT on requests to ``reader_role`` (the buffer's cleaner)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        cur.execute(SCHEMA_SQL)
        if reader_role:
            if not re.match(r"^[a-z_][a-z0-9_]{0,62}$", reader_role):
                raise QueueError(f"reader role {reader_role!r} is not a plain lower-case role name")
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (reader_role,))
            if cur.fetchone():
                cur.execute(f'GRANT SELECT ON import_request TO "{reader_role}"')


# -- validation (pure) -------------------------------------------------------


def normalise_path(path, buffer_root=None):
    """The request directory as ``group/user/dir[/...]`` relative to the buffer root.

    Accepts that relative form or an absolute path under ``buffer_root``. Refuses
    ``..``, ``.``, hidden components, empty components and anything outside the root.
    """
    text = str(path or "").strip()
    if not text:
        raise QueueError("path is empty: give the directory as GROUP/USER/DIRECTORY under the buffer root")
    if text.startswith("/"):
        root = (buffer_root or "").rstrip("/")
        if not root or not (text == root or text.startswith(root + "/")):
            raise QueueError(f"path {text!r} is outside the buffer root {buffer_root!r}")
        text = text[len(root) + 1 :]
    parts = text.rstrip("/").split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise QueueError(f"path {path!r}: empty, '.' or '..' components are not allowed")
        if not COMPONENT_RE.match(part):
            raise QueueError(f"path {path!r}: component {part!r} may not start with a dot or hold control characters")
    if len(parts) < 3:
        raise QueueError(
            f"path {path!r} must be GROUP/USER/DIRECTORY (at least three components under the buffer root)"
        )
    clean = "/".join(parts)
    if posixpath.normpath(clean) != clean:
        raise QueueError(f"path {path!r} is not in normal form")
    return clean


def parse_target(target):
    """``Dataset|Screen|Project`` ``:ID`` or ``:name:NAME`` -> (type, id, name)."""
    text = str(target or "").strip()
    match = re.match(r"^(Dataset|Screen|Project):(?:([0-9]+)|name:(.+))$", text)
    if not match:
        raise QueueError(
            f"target {text!r} must be one of Dataset:ID, Dataset:name:NAME, Screen:ID, Screen:name:NAME,"
            " Project:ID, Project:name:NAME"
        )
    kind, ident, name = match.groups()
    if ident is not None:
        return kind, int(ident), None
    return kind, None, check_object_name(name, "target name")


def check_object_name(name, what):
    """An OMERO object name: one line of at most 255 characters, no control character."""
    if not name or len(name) > 255 or re.search(r"[\x00-\x1f]", name):
        raise QueueError(f"{what} {name!r} must be one line of 1 to 255 characters without control characters")
    return name


def validate_request(name, path, omero_user, target, transfer="ln", buffer_root=None, dataset=None):
    """Check a request; returns the normalised fields or raises QueueError (nothing touched).

    A Project target imports into a dataset of that project: ``dataset`` names it (default: the
    request directory's name); the worker finds it in the project or creates and links it.
    """
    if not NAME_RE.match(str(name or "")):
        raise QueueError(f"name {name!r} must match {NAME_RE.pattern}")
    if not OMERO_USER_RE.match(str(omero_user or "")):
        raise QueueError(f"omero_user {omero_user!r} is not a valid OMERO user name")
    if transfer not in TRANSFERS:
        raise QueueError(f"transfer {transfer!r} must be one of {', '.join(TRANSFERS)}")
    kind, ident, tname = parse_target(target)
    clean = normalise_path(path, buffer_root)
    if kind != "Project" and dataset:
        raise QueueError(f"dataset {dataset!r} is only for a Project target (the target is {target!r})")
    dataset_name = None
    if kind == "Project":
        dataset_name = check_object_name(dataset or posixpath.basename(clean), "dataset")
    return {
        "name": name,
        "path": clean,
        "omero_user": omero_user,
        "target_type": kind,
        "target_id": ident,
        "target_name": tname,
        "dataset_name": dataset_name,
        "transfer": transfer,
    }


def target_string(req):
    """The ``-T`` argument of omero import for a request row (a Project's resolved dataset)."""
    if req["target_type"] == "Project":
        if req.get("resolved_dataset") is None:
            raise QueueError(f"request {req['name']!r}: the dataset in the project is not resolved yet")
        return f"Dataset:id:{req['resolved_dataset']}"
    if req.get("target_id") is not None:
        return f"{req['target_type']}:id:{req['target_id']}"
    return f"{req['target_type']}:name:{req['target_name']}"


def hql_literal(text):
    """An HQL string literal (quotes doubled); names are checked one-line, without control characters."""
    return "'" + text.replace("'", "''") + "'"


def project_query(name, omero_user):
    """HQL: ids of the user's projects of that name (the target Project:name:NAME)."""
    # HQL for the omero CLI (not SQL); names quoted by hql_literal.
    where = f"p.name = {hql_literal(name)} and p.details.owner.omeName = {hql_literal(omero_user)}"
    return "select p.id from Project p where " + where + " order by p.id"  # noqa: S608  # HQL, quoted


def project_dataset_query(project, name):
    """HQL: ids of the datasets of that name linked to the project."""
    where = f"l.parent.id = {int(project)} and d.name = {hql_literal(name)}"
    return "select d.id from ProjectDatasetLink l join l.child d where " + where + " order by d.id"  # noqa: S608


def project_link_query(project, dataset):
    """HQL: the link between the project and the dataset, if any."""
    where = f"l.parent.id = {int(project)} and l.child.id = {int(dataset)}"
    return "select l.id from ProjectDatasetLink l where " + where  # noqa: S608  # HQL, integers


def parse_hql_ids(output):
    """``omero hql --style plain`` output of a one-column id query -> [ids] (rows are ``INDEX,ID``)."""
    ids = []
    for line in output.splitlines():
        line = line.strip()
        match = re.match(r"^\d+,(\d+)$", line)
        if match:
            ids.append(int(match.group(1)))
        elif line:
            raise QueueError(f"unexpected line in the omero hql output: {line[:200]!r}")
    return ids


def parse_obj_new(output, cls):
    """``omero obj new CLASS ...`` output -> the new object's id (the line ``CLASS:ID``)."""
    found = re.findall(rf"^{cls}:(\d+)\s*$", output, re.MULTILINE)
    if len(found) != 1:
        raise QueueError(f"omero obj new {cls} did not print one {cls}:ID line: {output.strip()[-300:]!r}")
    return int(found[0])


def set_resolved(conn, req, worker, project=None, dataset=None):
    """Record the project or dataset the worker found or created (before anything else uses it)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_request SET resolved_project = COALESCE(%s, resolved_project),"
            " resolved_dataset = COALESCE(%s, resolved_dataset) WHERE id = %s AND worker = %s"
            " AND state IN ('syncing', 'importing')",
            (project, dataset, req["id"], worker),
        )
        if cur.rowcount != 1:
            return False
        what = f"Project:{project}" if project is not None else f"Dataset:{dataset}"
        event(cur, req["id"], req["state"], f"target resolved: {what}")
    if project is not None:
        req["resolved_project"] = project
    if dataset is not None:
        req["resolved_dataset"] = dataset
    return True


OMERO_TABLES = {"Dataset": "dataset", "Screen": "screen", "Project": "project"}


def omero_check(cur, fields):
    """What is wrong with the request in OMERO's own database (a cursor on it), or None.

    Reads OMERO's tables ``experimenter``, ``dataset``, ``screen`` and ``project`` (the names of
    OMERO 5's schema): the user must exist, and a target given by id must exist. A target given by
    name is created by the import when missing, so it is not checked.
    """
    cur.execute("SELECT id FROM experimenter WHERE omename = %s", (fields["omero_user"],))
    if cur.fetchone() is None:
        return f"omero_user {fields['omero_user']!r} does not exist in OMERO"
    if fields["target_id"] is not None:
        table = OMERO_TABLES[fields["target_type"]]
        cur.execute(f"SELECT 1 FROM {table} WHERE id = %s", (fields["target_id"],))  # noqa: S608  # fixed names
        if cur.fetchone() is None:
            return f"target {fields['target_type']}:{fields['target_id']} does not exist in OMERO"
    return None


def backoff_seconds(attempts, base, cap):
    """Seconds before retry number ``attempts`` (1, 2...): base, 2*base, 4*base... at most cap."""
    return float(min(cap, base * (2 ** max(attempts - 1, 0))))


# -- requests (control side) --------------------------------------------------


def _row(cur, row):
    return dict(zip(REQUEST_FIELDS, row)) if row else None


def get_request(cur, name):
    cur.execute(f"SELECT {COLUMNS} FROM import_request WHERE name = %s", (name,))  # noqa: S608  # constant columns
    return _row(cur, cur.fetchone())


def event(cur, request_id, state, message=""):
    cur.execute(
        "INSERT INTO import_event (request, state, message) VALUES (%s, %s, %s)", (request_id, state, message[:2000])
    )


def submit(cur, fields, max_attempts=5):
    """Add a request (fields from validate_request). Returns (row, created).

    Submitting the same name again with the same fields changes nothing; with
    different fields it is refused (a request is never rewritten under a worker).
    """
    before = get_request(cur, fields["name"])
    if before is not None:
        differs = [k for k in fields if before[k] != fields[k]]
        if differs:
            raise QueueError(
                f"request {fields['name']!r} exists with other {', '.join(differs)}; use a new name"
                " (or cancel it and submit under a new name)"
            )
        return before, False
    cur.execute(
        "INSERT INTO import_request (name, path, omero_user, target_type, target_id, target_name, dataset_name,"
        " transfer, max_attempts) VALUES (%(name)s, %(path)s, %(omero_user)s, %(target_type)s, %(target_id)s,"
        " %(target_name)s, %(dataset_name)s, %(transfer)s, %(max_attempts)s) RETURNING id",
        dict(fields, max_attempts=max_attempts),
    )
    event(cur, cur.fetchone()[0], "queued", "submitted")
    return get_request(cur, fields["name"]), True


def cancel(cur, name):
    """Cancel a request not finished yet. Returns (row before, changed)."""
    before = get_request(cur, name)
    if before is None:
        raise QueueError(f"request {name!r} does not exist")
    if before["state"] in FINISHED:
        return before, False
    cur.execute(
        "UPDATE import_request SET state = 'cancelled', finished_at = clock_timestamp(), lease_expires = NULL,"
        " message = 'cancelled' WHERE id = %s",
        (before["id"],),
    )
    event(cur, before["id"], "cancelled", "cancelled by request")
    return before, True


def retry(cur, name):
    """Queue a failed or cancelled request again (its imported filesets stay recorded). Returns (before, changed)."""
    before = get_request(cur, name)
    if before is None:
        raise QueueError(f"request {name!r} does not exist")
    if before["state"] not in ("failed", "cancelled"):
        return before, False
    cur.execute(
        "UPDATE import_request SET state = 'queued', attempts = 0, not_before = clock_timestamp(),"
        " finished_at = NULL, worker = NULL, lease_expires = NULL, message = 'queued again' WHERE id = %s",
        (before["id"],),
    )
    event(cur, before["id"], "queued", "retry requested")
    return before, True


def list_requests(cur, states=None, limit=200, name=None):
    """Requests, newest first; only ``states`` (all when empty) and only ``name`` when given."""
    cur.execute(
        f"SELECT {COLUMNS} FROM import_request"  # noqa: S608  # constant columns
        " WHERE (%s OR state = ANY(%s)) AND (%s IS NULL OR name = %s) ORDER BY id DESC LIMIT %s",
        (not states, list(states or []), name, name, int(limit)),
    )
    return [_row(cur, r) for r in cur.fetchall()]


def events(cur, request_id):
    cur.execute("SELECT at, state, message FROM import_event WHERE request = %s ORDER BY id", (request_id,))
    return [{"at": a.isoformat(), "state": s, "message": m} for a, s, m in cur.fetchall()]


def jsonable(row):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


# -- workers -------------------------------------------------------------------


def claim(conn, worker, lease_seconds):
    """Claim the oldest claimable request: queued and due, or in progress with an expired lease
    or held by this same worker slot (a restarted worker takes its own request back at once)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            f"""
            WITH c AS (
                SELECT id FROM import_request
                WHERE (state = 'queued' AND not_before <= clock_timestamp())
                   OR (state IN ('syncing', 'importing')
                       AND (lease_expires < clock_timestamp() OR worker = %(worker)s))
                ORDER BY id
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE import_request r
            SET state = CASE WHEN r.state = 'queued' THEN 'syncing' ELSE r.state END,
                worker = %(worker)s, started_at = COALESCE(r.started_at, clock_timestamp()),
                progress_at = clock_timestamp(),
                lease_expires = clock_timestamp() + make_interval(secs => %(lease)s)
            FROM c WHERE r.id = c.id
            RETURNING {", ".join("r." + f for f in REQUEST_FIELDS)}
            """,  # noqa: S608  # constant columns
            {"worker": worker, "lease": lease_seconds},
        )
        row = _row(cur, cur.fetchone())
        # A waiting request is claimed at every poll: its history records the waiting once.
        if row is not None and not row["message"].startswith("waiting"):
            event(cur, row["id"], row["state"], f"claimed by {worker}")
    return row


def heartbeat(conn, req, worker, lease_seconds, message=None):
    """Renew the lease (and note progress); False when the request was cancelled or taken over."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_request SET lease_expires = clock_timestamp() + make_interval(secs => %s),"
            " message = COALESCE(%s, message)"
            " WHERE id = %s AND worker = %s AND state IN ('syncing', 'importing')",
            (lease_seconds, message, req["id"], worker),
        )
        return cur.rowcount == 1


def set_state(conn, req, worker, state, message=""):
    """Move an owned request to syncing or importing; False if no longer ours."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_request SET state = %s, message = %s, progress_at = clock_timestamp()"
            " WHERE id = %s AND worker = %s AND state IN ('syncing', 'importing')",
            (state, message, req["id"], worker),
        )
        if cur.rowcount != 1:
            return False
        event(cur, req["id"], state, message)
        return True


def wait(conn, req, worker, seconds, message):
    """Give the request back to the queue without counting an attempt (directory not complete yet)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_request SET state = 'queued', worker = NULL, lease_expires = NULL, message = %s,"
            " not_before = clock_timestamp() + make_interval(secs => %s)"
            " WHERE id = %s AND worker = %s AND state IN ('syncing', 'importing')",
            (message, seconds, req["id"], worker),
        )
        if cur.rowcount == 1 and not (req.get("message") or "").startswith("waiting"):
            event(cur, req["id"], "queued", message)
        return cur.rowcount == 1


def fail_attempt(conn, req, worker, message, base, cap):
    """Count a failed attempt: queued again after a back-off, or failed when none is left. Returns the new state."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT attempts, max_attempts FROM import_request WHERE id = %s AND worker = %s"
            " AND state IN ('syncing', 'importing') FOR UPDATE",
            (req["id"], worker),
        )
        row = cur.fetchone()
        if row is None:
            return None
        attempts = row[0] + 1
        if attempts >= row[1]:
            cur.execute(
                "UPDATE import_request SET state = 'failed', attempts = %s, message = %s, worker = NULL,"
                " lease_expires = NULL, finished_at = clock_timestamp() WHERE id = %s",
                (attempts, message, req["id"]),
            )
            event(cur, req["id"], "failed", message)
            return "failed"
        delay = backoff_seconds(attempts, base, cap)
        cur.execute(
            "UPDATE import_request SET state = 'queued', attempts = %s, message = %s, worker = NULL,"
            " lease_expires = NULL, not_before = clock_timestamp() + make_interval(secs => %s) WHERE id = %s",
            (attempts, f"{message} (attempt {attempts}/{row[1]}, retry in {delay:.0f} s)", delay, req["id"]),
        )
        event(cur, req["id"], "queued", f"attempt {attempts} failed: {message}")
        return "queued"


def record_filesets(conn, req, filesets):
    """Record the filesets of the request (key -> files); known keys are kept as they are."""
    with conn, conn.cursor() as cur:
        for key, files in filesets.items():
            cur.execute(
                "INSERT INTO import_fileset (request, key, files) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (req["id"], key, list(files)),
            )
        cur.execute("UPDATE import_request SET filesets_total = %s WHERE id = %s", (len(filesets), req["id"]))


def pending_filesets(conn, req):
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT key, files FROM import_fileset WHERE request = %s AND state = 'pending' ORDER BY key",
            (req["id"],),
        )
        return cur.fetchall()


def fileset_done(conn, req, worker, key, omero_fileset, how):
    """Record one imported fileset (before the next starts). False if the request is no longer ours."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_fileset SET state = 'done', omero_fileset = %s, how = %s, imported_at = clock_timestamp()"
            " WHERE request = %s AND key = %s AND state = 'pending'",
            (omero_fileset, how, req["id"], key),
        )
        cur.execute(
            "UPDATE import_request SET filesets_done = (SELECT count(*) FROM import_fileset"
            " WHERE request = %s AND state = 'done'), progress_at = clock_timestamp() WHERE id = %s AND worker = %s",
            (req["id"], req["id"], worker),
        )
        return cur.rowcount == 1


def finish(conn, req, worker, staging, message):
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_request SET state = 'done', message = %s, staging = %s, worker = NULL,"
            " lease_expires = NULL, finished_at = clock_timestamp(), progress_at = clock_timestamp()"
            " WHERE id = %s AND worker = %s AND state IN ('syncing', 'importing')",
            (message, staging, req["id"], worker),
        )
        if cur.rowcount == 1:
            event(cur, req["id"], "done", message)
            return True
        return False


def release(conn, req, worker):
    """A stopped worker gives its request back at once, without counting an attempt."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE import_request SET state = 'queued', worker = NULL, lease_expires = NULL"
            " WHERE id = %s AND worker = %s AND state IN ('syncing', 'importing')",
            (req["id"], worker),
        )
        if cur.rowcount == 1:
            event(cur, req["id"], "queued", f"released by {worker} (stopped)")


def staging_to_prune(cur):
    """Done requests whose staging copy is still on the read-write node."""
    cur.execute(
        "SELECT id, path, staging, transfer FROM import_request"
        " WHERE state = 'done' AND staging IS NOT NULL AND staging_removed_at IS NULL ORDER BY id"
    )
    return cur.fetchall()


def staging_removed(cur, request_id):
    cur.execute("UPDATE import_request SET staging_removed_at = clock_timestamp() WHERE id = %s", (request_id,))
    event(cur, request_id, "done", "staging copy removed (the buffer copy is gone)")


# -- monitoring ------------------------------------------------------------------


def metrics(cur):
    """Counts per state, the oldest running request's age and its last progress (seconds)."""
    cur.execute("SELECT state, count(*) FROM import_request GROUP BY state")
    counts = dict.fromkeys(STATES, 0)
    counts.update(dict(cur.fetchall()))
    cur.execute(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - started_at), EXTRACT(EPOCH FROM progress_at),"
        " EXTRACT(EPOCH FROM clock_timestamp() - progress_at)"
        " FROM import_request WHERE state IN ('syncing', 'importing') ORDER BY started_at LIMIT 1"
    )
    row = cur.fetchone()
    cur.execute("SELECT COALESCE(sum(filesets_done), 0) FROM import_request")
    filesets = cur.fetchone()[0]
    return {
        "counts": counts,
        "running": counts["syncing"] + counts["importing"],
        "oldest_running_age_seconds": float(row[0]) if row else 0.0,
        "oldest_running_last_progress_timestamp": float(row[1]) if row else 0.0,
        "oldest_running_progress_age_seconds": float(row[2]) if row else 0.0,
        "filesets_imported": int(filesets),
    }


def prometheus_text(m, now):
    lines = [
        "# HELP omero_import_requests Import requests per state.",
        "# TYPE omero_import_requests gauge",
    ]
    lines += [f'omero_import_requests{{state="{s}"}} {m["counts"][s]}' for s in STATES]
    lines += [
        "# HELP omero_import_running Requests being synced or imported now.",
        "# TYPE omero_import_running gauge",
        f"omero_import_running {m['running']}",
        "# HELP omero_import_oldest_running_age_seconds Age of the oldest running request (0 when none runs).",
        "# TYPE omero_import_oldest_running_age_seconds gauge",
        f"omero_import_oldest_running_age_seconds {m['oldest_running_age_seconds']:.1f}",
        "# HELP omero_import_oldest_running_progress_age_seconds Seconds since that request last made progress.",
        "# TYPE omero_import_oldest_running_progress_age_seconds gauge",
        f"omero_import_oldest_running_progress_age_seconds {m['oldest_running_progress_age_seconds']:.1f}",
        "# HELP omero_import_oldest_running_last_progress_timestamp_seconds When it last made progress (epoch).",
        "# TYPE omero_import_oldest_running_last_progress_timestamp_seconds gauge",
        "omero_import_oldest_running_last_progress_timestamp_seconds"
        f" {m['oldest_running_last_progress_timestamp']:.1f}",
        "# HELP omero_import_filesets_imported Filesets recorded as imported, all requests.",
        "# TYPE omero_import_filesets_imported gauge",
        f"omero_import_filesets_imported {m['filesets_imported']}",
        "# HELP omero_import_metrics_timestamp_seconds When this file was written (epoch).",
        "# TYPE omero_import_metrics_timestamp_seconds gauge",
        f"omero_import_metrics_timestamp_seconds {now:.0f}",
    ]
    return "\n".join(lines) + "\n"
