# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The import queue against a real PostgreSQL: validation, claims, resume, retries, cancel, metrics."""

from __future__ import annotations

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils import _cache_schema as cq
from ansible_collections.bioimage.omero.plugins.module_utils import _import_queue as q


@pytest.fixture
def conn(fresh_db):
    c = cq.connect(fresh_db)
    q.ensure_schema(c)
    yield c
    c.close()


def submit(conn, name="r1", path="lab1/alice/exp1", user="alice", target="Dataset:5", **kw):
    fields = q.validate_request(name, path, user, target, kw.pop("transfer", "ln"), "/srv/import-buffer")
    with conn, conn.cursor() as cur:
        return q.submit(cur, fields, **kw)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lab1/alice/exp1", "lab1/alice/exp1"),
        ("lab1/alice/exp1/", "lab1/alice/exp1"),
        ("/srv/import-buffer/lab1/alice/exp1", "lab1/alice/exp1"),
        ("lab1/alice/exp 1/sub", "lab1/alice/exp 1/sub"),
    ],
)
def test_good_paths(path, expected):
    assert q.normalise_path(path, "/srv/import-buffer") == expected


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/passwd", "outside the buffer root"),
        ("/srv/import-buffer-other/lab1/a/b", "outside the buffer root"),
        ("lab1/alice/../bob/x", "'..'"),
        ("lab1/./alice/x", "'.'"),
        ("lab1//alice/x", "empty"),
        ("lab1/alice/.hidden", "dot"),
        ("lab1/alice", "at least three"),
        ("", "empty"),
        ("lab1/alice/a\nb", "control"),
    ],
)
def test_bad_paths(path, words):
    with pytest.raises(q.QueueError, match=words):
        q.normalise_path(path, "/srv/import-buffer")


@pytest.mark.parametrize(
    ("target", "parsed"),
    [
        ("Dataset:5", ("Dataset", 5, None)),
        ("Screen:7", ("Screen", 7, None)),
        ("Dataset:name:my data", ("Dataset", None, "my data")),
        ("Project:3", ("Project", 3, None)),
        ("Project:name:lab's project", ("Project", None, "lab's project")),
    ],
)
def test_targets(target, parsed):
    assert q.parse_target(target) == parsed


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("Project:x", "Project:ID"),
        ("Image:1", "must be one of"),
        ("Dataset:-1", "must be one of"),
        ("", "must be"),
        ("Dataset:name:a\tb", "control"),
    ],
)
def test_bad_targets(target, words):
    with pytest.raises(q.QueueError, match=words):
        q.parse_target(target)


def test_bad_user_name_and_transfer():
    with pytest.raises(q.QueueError, match="omero_user"):
        q.validate_request("r", "a/b/c", "-rf", "Dataset:1")
    with pytest.raises(q.QueueError, match="transfer"):
        q.validate_request("r", "a/b/c", "alice", "Dataset:1", "upload")
    with pytest.raises(q.QueueError, match="name"):
        q.validate_request("no spaces", "a/b/c", "alice", "Dataset:1")


def test_project_target_names_its_dataset():
    fields = q.validate_request("r", "lab1/alice/exp 7", "alice", "Project:3")
    assert (fields["target_type"], fields["target_id"], fields["dataset_name"]) == ("Project", 3, "exp 7")
    fields = q.validate_request("r", "lab1/alice/exp7", "alice", "Project:name:P", dataset="day 1")
    assert (fields["target_name"], fields["dataset_name"]) == ("P", "day 1")
    assert q.validate_request("r", "lab1/alice/exp7", "alice", "Dataset:1")["dataset_name"] is None
    with pytest.raises(q.QueueError, match="dataset 'd' is only for a Project target"):
        q.validate_request("r", "lab1/alice/exp7", "alice", "Dataset:1", dataset="d")
    with pytest.raises(q.QueueError, match="dataset"):
        q.validate_request("r", "lab1/alice/exp7", "alice", "Project:1", dataset="x" * 256)


def test_project_target_imports_into_the_resolved_dataset():
    req = {"name": "r", "target_type": "Project", "target_id": 3, "target_name": None, "resolved_dataset": None}
    with pytest.raises(q.QueueError, match="not resolved"):
        q.target_string(req)
    assert q.target_string(dict(req, resolved_dataset=12)) == "Dataset:id:12"


def test_hql_queries_quote_names():
    assert q.project_dataset_query(3, "it's") == (
        "select d.id from ProjectDatasetLink l join l.child d where l.parent.id = 3 and d.name = 'it''s' order by d.id"
    )
    assert q.project_query("P'", "o'brien") == (
        "select p.id from Project p where p.name = 'P''' and p.details.owner.omeName = 'o''brien' order by p.id"
    )
    link = q.project_link_query(3, 12)
    assert link == "select l.id from ProjectDatasetLink l where l.parent.id = 3 and l.child.id = 12"


def test_cli_output_parsers():
    assert q.parse_hql_ids("") == []
    assert q.parse_hql_ids("0,12\n1,15\n") == [12, 15]
    with pytest.raises(q.QueueError, match="unexpected line"):
        q.parse_hql_ids("Error: bad query")
    assert q.parse_obj_new("Dataset:42\n", "Dataset") == 42
    with pytest.raises(q.QueueError, match="one Dataset:ID"):
        q.parse_obj_new("Project:42\n", "Dataset")


def test_resolved_ids_are_recorded_for_a_resumed_request(conn):
    fields = q.validate_request("p1", "lab1/alice/exp1", "alice", "Project:name:P")
    with conn, conn.cursor() as cur:
        q.submit(cur, fields)
    req = q.claim(conn, "w/1", 60)
    assert req["dataset_name"] == "exp1" and req["resolved_project"] is None
    assert q.set_resolved(conn, req, "w/1", project=7)
    assert q.set_resolved(conn, req, "w/1", dataset=12)
    assert not q.set_resolved(conn, req, "w/2", dataset=13)  # not its request
    again = q.claim(conn, "w/1", 60)
    assert (again["resolved_project"], again["resolved_dataset"]) == (7, 12)
    assert q.target_string(again) == "Dataset:id:12"


def test_old_tables_are_upgraded_for_project_targets(fresh_db):
    c = cq.connect(fresh_db)
    old = q.SCHEMA_SQL.split("-- Project targets", maxsplit=1)[0].replace(
        "target_type text NOT NULL,", "target_type text NOT NULL CHECK (target_type IN ('Dataset', 'Screen')),"
    )
    with c, c.cursor() as cur:
        cur.execute(old)
        cur.execute(
            "INSERT INTO import_request (name, path, omero_user, target_type, target_id) VALUES"
            " ('old', 'a/b/c', 'alice', 'Dataset', 1)"
        )
    q.ensure_schema(c)
    q.ensure_schema(c)
    with c, c.cursor() as cur:
        q.submit(cur, q.validate_request("p", "a/b/c", "alice", "Project:3"))
        assert q.get_request(cur, "old")["dataset_name"] is None
        assert q.get_request(cur, "p")["dataset_name"] == "c"
    c.close()


def test_backoff_doubles_up_to_the_cap():
    assert [q.backoff_seconds(n, 10, 60) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]


def test_schema_is_idempotent(conn):
    q.ensure_schema(conn)
    q.ensure_schema(conn, "nosuchrole")


def test_submit_is_idempotent_and_never_rewrites(conn):
    row, created = submit(conn)
    assert created and row["state"] == "queued"
    row2, created = submit(conn)
    assert not created and row2["id"] == row["id"]
    with pytest.raises(q.QueueError, match="exists with other target_id"):
        submit(conn, target="Dataset:6")


def test_claim_resume_and_exactly_once(conn):
    submit(conn)
    req = q.claim(conn, "rw/1", 60)
    assert req["state"] == "syncing"
    assert q.claim(conn, "rw/2", 60) is None  # leased
    assert q.set_state(conn, req, "rw/1", "importing")
    q.record_filesets(conn, req, {"a.tif": ["/s/1/a.tif"], "b.tif": ["/s/1/b.tif"]})
    assert q.fileset_done(conn, req, "rw/1", "a.tif", 11, "imported")
    # The worker dies; the same slot restarts and takes its request back at once.
    again = q.claim(conn, "rw/1", 60)
    assert again["id"] == req["id"] and again["state"] == "importing"
    q.record_filesets(conn, again, {"a.tif": ["/s/1/a.tif"], "b.tif": ["/s/1/b.tif"]})
    assert [k for k, _f in q.pending_filesets(conn, again)] == ["b.tif"]
    assert q.fileset_done(conn, again, "rw/1", "b.tif", 12, "imported")
    assert q.finish(conn, again, "rw/1", "/s/1", "imported")
    with conn, conn.cursor() as cur:
        row = q.get_request(cur, "r1")
        assert (row["state"], row["filesets_total"], row["filesets_done"]) == ("done", 2, 2)
        states = [e["state"] for e in q.events(cur, row["id"])]
    assert states[0] == "queued" and states[-1] == "done"


def test_other_worker_waits_for_the_lease(conn):
    submit(conn)
    req = q.claim(conn, "rw/1", 1)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE import_request SET lease_expires = clock_timestamp() - interval '1 s'")
    other = q.claim(conn, "rw/2", 60)
    assert other["id"] == req["id"]
    assert not q.heartbeat(conn, req, "rw/1", 60)  # the first worker lost it


def test_failures_back_off_then_fail(conn):
    submit(conn, max_attempts=2)
    req = q.claim(conn, "rw/1", 60)
    assert q.fail_attempt(conn, req, "rw/1", "rsync failed", 3600, 3600) == "queued"
    assert q.claim(conn, "rw/1", 60) is None  # backing off
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE import_request SET not_before = clock_timestamp()")
    req = q.claim(conn, "rw/1", 60)
    assert q.fail_attempt(conn, req, "rw/1", "rsync failed", 1, 1) == "failed"
    with conn, conn.cursor() as cur:
        _before, changed = q.retry(cur, "r1")
        assert changed and q.get_request(cur, "r1")["state"] == "queued"
        _before, changed = q.retry(cur, "r1")
        assert not changed


def test_waiting_does_not_count_an_attempt(conn):
    submit(conn)
    req = q.claim(conn, "rw/1", 60)
    assert q.wait(conn, req, "rw/1", 0, "waiting for the marker")
    with conn, conn.cursor() as cur:
        row = q.get_request(cur, "r1")
    assert (row["state"], row["attempts"], row["message"]) == ("queued", 0, "waiting for the marker")


def test_cancel_stops_the_worker(conn):
    submit(conn)
    req = q.claim(conn, "rw/1", 60)
    with conn, conn.cursor() as cur:
        _before, changed = q.cancel(cur, "r1")
        assert changed
        _before, changed = q.cancel(cur, "r1")
        assert not changed
        with pytest.raises(q.QueueError, match="does not exist"):
            q.cancel(cur, "nope")
    assert not q.heartbeat(conn, req, "rw/1", 60)
    assert not q.finish(conn, req, "rw/1", "/s", "imported")


def test_metrics(conn):
    submit(conn, "r1")
    submit(conn, "r2", path="lab1/alice/exp2")
    q.claim(conn, "rw/1", 60)
    with conn, conn.cursor() as cur:
        m = q.metrics(cur)
    assert m["counts"]["syncing"] == 1 and m["counts"]["queued"] == 1 and m["running"] == 1
    assert m["oldest_running_age_seconds"] >= 0
    text = q.prometheus_text(m, 1000)
    assert 'omero_import_requests{state="queued"} 1' in text
    assert "omero_import_oldest_running_progress_age_seconds" in text
    assert "omero_import_metrics_timestamp_seconds 1000" in text


def test_reader_role_gets_select_only(conn, fresh_db):
    with conn, conn.cursor() as cur:
        cur.execute("CREATE ROLE import_reader_test LOGIN")
    try:
        q.ensure_schema(conn, "import_reader_test")
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT has_table_privilege('import_reader_test', 'import_request', 'SELECT'),"
                " has_table_privilege('import_reader_test', 'import_request', 'UPDATE')"
            )
            assert cur.fetchone() == (True, False)
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("REVOKE ALL ON import_request FROM import_reader_test")
            cur.execute("DROP ROLE import_reader_test")


def test_a_waiting_request_is_recorded_once(conn):
    submit(conn)
    for age in (5, 7, 9):  # the worker polls; the message changes, the history does not grow
        req = q.claim(conn, "rw/1", 60)
        assert q.wait(conn, req, "rw/1", 0, f"waiting: newest file changed {age} s ago")
    req = q.claim(conn, "rw/1", 60)
    assert q.set_state(conn, req, "rw/1", "syncing", "syncing (marker present)")
    with conn, conn.cursor() as cur:
        history = [(e["state"], e["message"][:12]) for e in q.events(cur, req["id"])]
    assert history == [
        ("queued", "submitted"),
        ("syncing", "claimed by r"),
        ("queued", "waiting: new"),
        ("syncing", "syncing (mar"),
    ]
