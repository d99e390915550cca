#!/usr/bin/env bash
# Benchmark: our dump+verify (omero_backup's code: pg_dump in an exported snapshot with
# per-table row counts, sha256, pg_restore --list, manifest; then verify) against a bare
# `pg_dump -Fc` of the same database, measured in the same run; plus the drill's restore
# duration per GiB of dump; then pgBackRest against pg_dump/pg_restore of the same database
# in the same run (full backup, restore to a started cluster) and the measured RPO: the
# seconds of WAL at risk (not yet in the repository) under a steady write load, with
# archive_timeout BENCH_ARCHIVE_TIMEOUT (default 10 s, as the pitr scenario; the role's default is 60).
#
# Everything runs against a throwaway PostgreSQL cluster this script starts on a unix
# socket in a temporary directory (no TCP at all), with a generated OMERO-like database of
# BENCH_MB megabytes (default 200, capped at 400). Needs Debian's postgresql package on
# the machine running it and must run as root (the cluster runs as user postgres).
# pgBackRest (Debian's package) is optional: without it that part is skipped, saying so.
#   bench/backup/run.sh            BENCH_MB=100 BENCH_ROUNDS=3 BENCH_RPO_SECONDS=60 bench/backup/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BENCH_MB=${BENCH_MB:-200}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
(( BENCH_MB > 400 )) && BENCH_MB=400
(( BENCH_ROUNDS > 9 )) && BENCH_ROUNDS=9
BENCH_RPO_SECONDS=${BENCH_RPO_SECONDS:-60}
(( BENCH_RPO_SECONDS > 180 )) && BENCH_RPO_SECONDS=180
BENCH_ARCHIVE_TIMEOUT=${BENCH_ARCHIVE_TIMEOUT:-10}
[ "$(id -u)" = 0 ] || { echo "run as root (the throwaway cluster runs as postgres)" >&2; exit 2; }

pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "needs Debian's postgresql package (initdb not found under /usr/lib/postgresql)" >&2; exit 2; }
if [ -n "${TESTBED_VENV:-}" ] && [ -x "$TESTBED_VENV/bin/python" ]; then py=$TESTBED_VENV/bin/python; else py=python3; fi
"$py" -c 'import psycopg2' 2>/dev/null || { echo "needs psycopg2 for $py" >&2; exit 2; }

work=$(mktemp -d /tmp/omero-backup-bench.XXXXXX)
chown postgres: "$work"
as_pg() { runuser -u postgres -- env -i PATH="$pgbin:/usr/bin:/bin" LANG=C.UTF-8 PGHOST="$work" PGPORT=54329 \
            PYTHONPATH="$repo/.ansible/collections" "$@"; }
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$work/restore" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== throwaway cluster in $work (unix socket only), database of about ${BENCH_MB} MB"
as_pg "$pgbin/initdb" -D "$work/data" -A peer -U postgres >/dev/null
pgbr=$(command -v pgbackrest || true)
if [ -n "$pgbr" ]; then  # WAL archiving to a local pgBackRest repository, as the role sets it up (zst, one process)
  mkdir -p "$work/repo" "$work/pgbr-log" "$work/pgbr-lock" && chown postgres: "$work/repo" "$work/pgbr-log" "$work/pgbr-lock"
  cat >"$work/pgbackrest.conf" <<CONF
[global]
repo1-path=$work/repo
compress-type=zst
process-max=1
start-fast=y
repo1-retention-full=2
log-path=$work/pgbr-log
lock-path=$work/pgbr-lock
log-level-console=warn
log-level-file=off
[bench]
pg1-path=$work/data
pg1-socket-path=$work
pg1-port=54329
CONF
  chmod 0644 "$work/pgbackrest.conf"
  cat >>"$work/data/postgresql.conf" <<CONF
archive_mode = on
archive_command = '$pgbr --config=$work/pgbackrest.conf --stanza=bench archive-push %p'
archive_timeout = $BENCH_ARCHIVE_TIMEOUT
CONF
fi
as_pg "$pgbin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
  -o "-k $work -p 54329 -c listen_addresses='' -c fsync=off -c shared_buffers=128MB" start >/dev/null
as_pg psql -q -X -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE omero" >/dev/null
# About 1 MB per 5000 rows of image + 2500 of pixels/annotations; bounded by BENCH_MB.
rows=$(( BENCH_MB * 3000 ))
as_pg psql -q -X -v ON_ERROR_STOP=1 -d omero >/dev/null <<SQL
CREATE TABLE dbpatch (id bigint PRIMARY KEY, currentversion text, currentpatch int, previousversion text, previouspatch int, finished timestamptz);
INSERT INTO dbpatch VALUES (1, 'OMERO5.4', 0, 'OMERO0.0', 0, now());
CREATE TABLE image (id bigint PRIMARY KEY, name text, description text, acquisitiondate timestamptz);
INSERT INTO image SELECT g, 'image_' || g || '.tif', md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text), now() - g * interval '1 minute'
  FROM generate_series(1, $rows) g;
CREATE TABLE pixels (id bigint PRIMARY KEY, image bigint REFERENCES image, sizex int, sizey int, sizez int, sizec int, sizet int, sha1 text);
INSERT INTO pixels SELECT g, g, 512 + g % 1024, 512 + g % 512, 1 + g % 50, 1 + g % 4, 1 + g % 10, md5(g::text) FROM generate_series(1, $rows) g;
CREATE TABLE annotation (id bigint PRIMARY KEY, discriminator text, textvalue text);
INSERT INTO annotation SELECT g, '/basic/text/comment/', repeat(md5(g::text), 4) FROM generate_series(1, $rows / 2) g;
CREATE INDEX ON image (name);
ANALYZE;
SQL
size=$(as_pg psql -X -At -d omero -c "SELECT pg_size_pretty(pg_database_size('omero'))")
echo "   database size: $size"

bare() {  # the baseline: what a cron job with pg_dump -Fc does
  rm -f "$work/bare.pgdump"
  as_pg pg_dump -Fc -f "$work/bare.pgdump" omero
}
ours() {  # omero_backup action=dump then action=verify, the module's own code
  as_pg "$py" - "$work/store" <<'PY'
import os, sys
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
conn = {"login_host": os.environ["PGHOST"], "login_port": int(os.environ["PGPORT"])}
for action in ("dump", "verify"):
    pg.perform(pg.make_options(dict(conn, action=action, backup_dir=sys.argv[1], min_size_ratio=0)))
PY
}
secs() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

mkdir -p "$work/store" && chown postgres: "$work/store" && chmod 0700 "$work/store"
bare_times=() our_times=()
for i in $(seq 1 "$BENCH_ROUNDS"); do
  b=$(secs bare); o=$(secs ours)
  rm -rf "$work"/store/omero-*
  bare_times+=("$b"); our_times+=("$o")
  printf '   round %d: bare pg_dump -Fc %.2fs, ours dump+verify %.2fs\n' "$i" "$b" "$o"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${bare_times[@]}"); mo=$(median "${our_times[@]}")
dump_bytes=$(stat -c %s "$work/bare.pgdump")

echo "== drill (restore into a scratch database, compare row counts, drop)"
ours >/dev/null
drill_json=$(as_pg "$py" - "$work/store" <<'PY'
import json, os, sys
from ansible_collections.bioimage.omero.plugins.module_utils import _backup_pg as pg
conn = {"login_host": os.environ["PGHOST"], "login_port": int(os.environ["PGPORT"])}
r = pg.perform(pg.make_options(dict(conn, action="drill", backup_dir=sys.argv[1])))
print(json.dumps({"restore_seconds": r["restore_seconds"], "seconds_per_gb": r["seconds_per_gb"]}))
PY
)
echo "   $drill_json"

echo
printf 'RESULT dump bytes: %d; median of %d rounds: bare pg_dump -Fc %.2fs, ours dump+verify %.2fs\n' \
  "$dump_bytes" "$BENCH_ROUNDS" "$mb" "$mo"
printf 'RESULT ratio ours/bare: %.3f (goal <= 1.10)\n' "$(echo "$mo / $mb" | bc -l)"
printf 'RESULT drill: %s s restore, %s s per GiB of dump\n' \
  "$(echo "$drill_json" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["restore_seconds"])')" \
  "$(echo "$drill_json" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_gb"])')"

[ -n "$pgbr" ] || { echo "RESULT pgbackrest: SKIPPED (pgbackrest not installed: apt-get install pgbackrest)"; exit 0; }
pgb() { as_pg "$pgbr" --config="$work/pgbackrest.conf" --stanza=bench "$@"; }

echo "== pgBackRest against pg_dump/pg_restore, same database"
pgb stanza-create >/dev/null
pgbr_backup=$(secs pgb --type=full backup)
repo_bytes=$(du -sb "$work/repo/backup" | cut -f1)
restore_new_db() {  # pg_restore of the bare dump into a new database (one job, one transaction)
  as_pg psql -q -X -d postgres -c "DROP DATABASE IF EXISTS omero_bench_restore" -c "CREATE DATABASE omero_bench_restore" 2>/dev/null
  as_pg pg_restore --single-transaction -d omero_bench_restore "$work/bare.pgdump" >/dev/null
}
pg_restore_secs=$(secs restore_new_db)
as_pg psql -q -X -d postgres -c "DROP DATABASE omero_bench_restore"
restore_cluster() {  # pgBackRest restore into a new data directory, started and consistent (as the drill does)
  rm -rf "$work/restore"; install -d -o postgres -m 0700 "$work/restore"
  pgb --pg1-path="$work/restore" --archive-mode=off --type=immediate --target-action=promote restore >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$work/restore" -l "$work/restore.log" -w -t 600 \
    -o "-k $work -p 54330 -c listen_addresses='' -c hot_standby=off -c archive_mode=off" start >/dev/null
}
pgbr_restore=$(secs restore_cluster)
as_pg "$pgbin/pg_ctl" -D "$work/restore" -m fast -w stop >/dev/null
rm -rf "$work/restore"

echo "== RPO: steady writes for ${BENCH_RPO_SECONDS}s (5 commits/s), archive_timeout ${BENCH_ARCHIVE_TIMEOUT}s"
as_pg psql -q -X -d omero -c "CREATE TABLE bench_write (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp(), pad text)"
failed_before=$(as_pg psql -X -At -d postgres -c "SELECT failed_count FROM pg_stat_archiver")
writes=$(( BENCH_RPO_SECONDS * 5 ))
# One session, autocommit: a small insert every 0.2 s, bounded in count.
( for _ in $(seq 1 "$writes"); do echo "INSERT INTO bench_write (pad) VALUES (repeat('x', 200)); SELECT pg_sleep(0.2);"; done ) \
  | as_pg psql -q -X -d omero >/dev/null &
writer=$!
# Each second: how old the newest archived WAL is while commits keep coming = the seconds at risk.
samples=()
for _ in $(seq 1 "$BENCH_RPO_SECONDS"); do
  sleep 1
  age=$(as_pg psql -X -At -d postgres -c \
    "SELECT coalesce(extract(epoch FROM clock_timestamp() - last_archived_time), -1) FROM pg_stat_archiver")
  samples+=("$age")
done
wait "$writer" || true
failed=$(( $(as_pg psql -X -At -d postgres -c "SELECT failed_count FROM pg_stat_archiver") - failed_before ))
rpo_median=$(median "${samples[@]}")
rpo_max=$(printf '%s\n' "${samples[@]}" | sort -g | tail -1)

echo
printf 'RESULT full backup: pgBackRest %.2fs (repository %d bytes) vs pg_dump -Fc %.2fs (%d bytes); ratio %.2f\n' \
  "$pgbr_backup" "$repo_bytes" "$mb" "$dump_bytes" "$(echo "$pgbr_backup / $mb" | bc -l)"
printf 'RESULT restore: pgBackRest to a started cluster %.2fs vs pg_restore into a new database %.2fs; ratio %.2f\n' \
  "$pgbr_restore" "$pg_restore_secs" "$(echo "$pgbr_restore / $pg_restore_secs" | bc -l)"
printf 'RESULT RPO under steady writes (archive_timeout %ss): median %.1fs, max %.1fs of WAL at risk; archive failures during the load %s\n' \
  "$BENCH_ARCHIVE_TIMEOUT" "$rpo_median" "$rpo_max" "$failed"
printf 'RESULT pg_dump RPO for comparison: up to 24 h (one dump a day)\n'
