#!/usr/bin/env bash
# Benchmark: Bio-Formats cache regeneration of the same 200 targets (skewed
# durations, 0.1-6 s) on the same 3 nodes x 2 slots, in one run:
#   - GNU parallel --sshloginfile (IDR's runbook method), targets in id order;
#   - our queue + workers (claims FOR UPDATE SKIP LOCKED, longest expected first,
#     durations known from an earlier run);
#   - the ideal lower bound max(total work / slots, longest job).
# Prints the makespans and the ratios. Traffic stays on a podman network the
# benchmark creates (nodes = throwaway containers with sshd; the queue's
# PostgreSQL is a throwaway cluster on this machine bound to that network's
# gateway address). Bounded: 200 jobs, each run times out after 10 minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=testbed/env.sh
. "$repo/testbed/env.sh"
PY="$TESTBED_VENV/bin/python"
IMAGE="$TESTBED_IMAGE_PREFIX:bookworm"
NET=bioimage-bench-cache-regen
NODES=(bench-cache-regen-1 bench-cache-regen-2 bench-cache-regen-3)
SLOTS_PER_NODE=2
SLOTS=$(( ${#NODES[@]} * SLOTS_PER_NODE ))
work=$(mktemp -d /tmp/bench-cache-regen.XXXXXX)
chmod 755 "$work"
pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1)

calc() { "$PY" -c "print($1)"; }

cleanup() {
  set +e
  for n in "${NODES[@]}"; do podman rm -f -t 0 "$n" >/dev/null 2>&1; done
  podman network rm "$NET" >/dev/null 2>&1
  [ -f "$work/pg/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> targets and durations"
"$PY" "$here/bench.py" durations "$work/durations.txt"
read -r LB TOTAL LONGEST < <("$PY" "$here/bench.py" bound "$work/durations.txt" "$SLOTS")
cut -d' ' -f1 "$work/durations.txt" > "$work/ids.txt"
cp "$here/job.sh" "$work/job.sh"
# The worker code exactly as the host_tools role installs it (every module_utils file, same package path).
pkg=ansible_collections/bioimage/omero/plugins/module_utils
mkdir -p "$work/lib/$pkg" "$work/pylib"
cp "$repo"/plugins/module_utils/_*.py "$work/lib/$pkg/"
# psycopg2 for the nodes' python3.11 (bookworm, like this machine): the venv's wheel contents.
site=$("$PY" -c 'import psycopg2, os; print(os.path.dirname(os.path.dirname(psycopg2.__file__)))')
cp -r "$site/psycopg2" "$work/pylib/"
[ -d "$site/psycopg2_binary.libs" ] && cp -r "$site/psycopg2_binary.libs" "$work/pylib/"
cp "$here/bench.py" "$work/bench.py"
ssh-keygen -q -t ed25519 -N '' -f "$work/key"

echo "==> network and nodes"
podman network exists "$NET" || podman network create "$NET" >/dev/null
GW=$(podman network inspect "$NET" --format '{{range .Subnets}}{{.Gateway}}{{end}}')
SUBNET=$(podman network inspect "$NET" --format '{{range .Subnets}}{{.Subnet}}{{end}}')
for n in "${NODES[@]}"; do
  podman rm -f -t 0 "$n" >/dev/null 2>&1 || true
  podman run -d --name "$n" --hostname "$n" --network "$NET" -v "$work:/bench:ro" "$IMAGE" /sbin/init >/dev/null
done
ips=()
for n in "${NODES[@]}"; do
  for _ in $(seq 1 60); do
    podman exec "$n" systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded' && break
    sleep 1
  done
  podman exec "$n" sh -c 'mkdir -p /root/.ssh && cp /bench/key.pub /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys && systemctl start ssh'
  ips+=("$(podman inspect "$n" --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}")")
done

echo "==> throwaway PostgreSQL for the queue on $GW"
mkdir "$work/pg" "$work/pglog" && chown postgres: "$work/pg" "$work/pglog"
PGPW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
echo "$PGPW" > "$work/pgpw" && chown postgres: "$work/pgpw" && chmod 600 "$work/pgpw"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U postgres --pwfile="$work/pgpw" -A scram-sha-256 --no-sync >/dev/null
echo "host all postgres $SUBNET scram-sha-256" >> "$work/pg/pg_hba.conf"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -w -l "$work/pglog/pg.log" \
  -o "-c listen_addresses=$GW -c port=55432 -c unix_socket_directories=$work/pg -c fsync=off -c synchronous_commit=off" start >/dev/null
DSN="host=$GW port=55432 dbname=postgres user=postgres password=$PGPW"

echo "==> GNU parallel --sshloginfile, ${SLOTS_PER_NODE} jobs per node, targets in id order"
: > "$work/nodes"
for ip in "${ips[@]}"; do echo "$SLOTS_PER_NODE/root@$ip" >> "$work/nodes"; done
SSH="ssh -i $work/key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
start=$(date +%s.%N)
timeout 600 parallel --ssh "$SSH" --sshloginfile "$work/nodes" -a "$work/ids.txt" \
  --joblog "$work/parallel.log" /bench/job.sh > "$work/parallel.out"
end=$(date +%s.%N)
PAR=$(calc "$end - $start")
par_ok=$(grep -c '^ok:' "$work/parallel.out" || true)

echo "==> our queue and workers, ${SLOTS_PER_NODE} slots per node"
PYTHONPATH="$work/lib" "$PY" "$here/bench.py" load "$DSN" "$work/durations.txt" bench
cat > "$work/worker.json" <<JSON
{"database": {"host": "$GW", "port": 55432, "dbname": "postgres", "user": "postgres", "password": "$PGPW"},
 "command": "/bench/job.sh {target}", "poll_seconds": 0.2}
JSON
chmod 644 "$work/worker.json"
start=$(date +%s.%N)
pids=()
for n in "${NODES[@]}"; do
  for s in $(seq 1 "$SLOTS_PER_NODE"); do
    podman exec -e PYTHONPATH=/bench/lib:/bench/pylib "$n" python3 -c "
import json, sys
from ansible_collections.bioimage.omero.plugins.module_utils._cache_worker import Worker
cfg = json.load(open('/bench/worker.json')); cfg['node'] = '$n'
sys.exit(Worker(cfg, $s, log=lambda m: None).run())" &
    pids+=($!)
  done
done
for p in "${pids[@]}"; do wait "$p"; done
end=$(date +%s.%N)
OURS_WALL=$(calc "$end - $start")
read -r OURS_SPAN OURS_FAILED < <("$PY" "$here/bench.py" wait "$DSN" bench)

echo
printf 'targets: 200, slots: %d (3 nodes x %d), total work %.1f s, longest job %.2f s\n' "$SLOTS" "$SLOTS_PER_NODE" "$TOTAL" "$LONGEST"
printf '%-44s %8.2f s\n' "ideal lower bound max(work/slots, longest)" "$LB"
printf '%-44s %8.2f s   ratio to bound %.3f   (%s ok)\n' "GNU parallel --sshloginfile (wall clock)" "$PAR" "$(calc "$PAR / $LB")" "$par_ok"
printf '%-44s %8.2f s   ratio to bound %.3f   (%s failed)\n' "ours, first claim to last finish" "$OURS_SPAN" "$(calc "$OURS_SPAN / $LB")" "$OURS_FAILED"
printf '%-44s %8.2f s   ratio to bound %.3f\n' "ours, wall clock incl. starting workers" "$OURS_WALL" "$(calc "$OURS_WALL / $LB")"
printf '%-44s %8.3f\n' "ours (wall) / GNU parallel" "$(calc "$OURS_WALL / $PAR")"
