# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operations database of Bio-Formats cache regeneration: connecting, and its tables (DDL).

Also installed on the OMERO nodes (host_tools) for the workers: imports nothing from Ansible, and
psycopg2 only when connecting.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# Kept idempotent: every control action and every worker start runs it.
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS cache_regen_run (
    name text PRIMARY KEY,
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'stopped')),
    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    lease_seconds integer NOT NULL DEFAULT 300 CHECK (lease_seconds > 0),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS cache_regen_target (
    run text NOT NULL REFERENCES cache_regen_run (name) ON DELETE CASCADE,
    target text NOT NULL,
    weight double precision NOT NULL DEFAULT 1,
    priority double precision NOT NULL DEFAULT 1,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'failed')),
    node text,
    worker text,
    attempts integer NOT NULL DEFAULT 0,
    claimed_at timestamptz,
    lease_expires timestamptz,
    finished_at timestamptz,
    duration double precision,
    result text,
    output_tail text,
    PRIMARY KEY (run, target)
);
CREATE INDEX IF NOT EXISTS cache_regen_target_claim
    ON cache_regen_target (run, status, priority DESC);
CREATE TABLE IF NOT EXISTS cache_regen_history (
    target text PRIMARY KEY,
    duration double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""


def connect(params):
    """Open a psycopg2 connection from a dict of libpq keywords."""
    import psycopg2  # optional dependency, imported on use

    kwargs = {k: v for k, v in params.items() if v not in (None, "")}
    return psycopg2.connect(**kwargs)


def ensure_schema(conn):
    with conn, conn.cursor() as cur:
        # Serialise concurrent first runs (several workers start at once).
        cur.execute("SELECT pg_advisory_xact_lock(74210731)")
        cur.execute(SCHEMA_SQL)
