#!/usr/bin/env bash
# Proxy cache benchmark: wrk on one host (a podman container this script creates and removes),
# all traffic on that host's loopback:
#   cached  - the proxy role's nginx, cached thumbnail route (HIT)
#   static  - nginx serving the same bytes from a file (the ceiling)
#   proxied - the proxy on an uncached route, in front of the backend
#   backend - the uncached backend itself (a Python HTTP server, like OMERO.web's gunicorn)
# Prints requests/s and the ratios; goal: cached >= 0.8 x static.
# Env: BENCH_DURATION (s per run, default 10, at most 60), BENCH_CONNECTIONS (default 32),
# BENCH_ROUNDS (default 3, at most 5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=testbed/env.sh
. "$repo/testbed/env.sh"
export PATH="$TESTBED_VENV/bin:$PATH"
duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-32}
rounds=${BENCH_ROUNDS:-3}
if [ "$duration" -lt 1 ] || [ "$duration" -gt 60 ] || [ "$rounds" -lt 1 ] || [ "$rounds" -gt 5 ]; then
  echo "BENCH_DURATION must be 1..60 and BENCH_ROUNDS 1..5" >&2
  exit 2
fi
name=bench-proxy-cache
network=bioimage-bench-proxy-cache
work=$(mktemp -d)

cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  podman network rm -f "$network" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
podman rm -f "$name" >/dev/null 2>&1 || true  # a leftover from an interrupted run

"$repo/testbed/link-collection.sh" >/dev/null
podman network exists "$network" || podman network create "$network" >/dev/null
podman run -d --name "$name" --hostname "$name" --network "$network" \
  "$TESTBED_IMAGE_PREFIX:bookworm" /sbin/init >/dev/null
for _ in $(seq 30); do
  podman exec "$name" systemctl is-system-running --wait >/dev/null 2>&1 && break
  sleep 1
done

head -c 16384 /dev/urandom >"$work/thumb.bin"  # a thumbnail-sized body
echo "== setting up $name (apt, the proxy role)"
(cd "$repo" && ANSIBLE_COLLECTIONS_PATH="$repo/.ansible/collections" ansible-playbook \
  -i "$name," -c containers.podman.podman "$here/setup.yml" \
  -e "bench_payload=$work/thumb.bin" >"$work/setup.log" 2>&1) \
  || { tail -40 "$work/setup.log"; exit 1; }

url=/webgateway/render_thumbnail/1/
run_wrk() {  # run_wrk LABEL URL -> prints "LABEL RPS"
  local out rps
  out=$(podman exec "$name" wrk -t2 -c"$connections" -d"${duration}s" --latency "$2")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  local p99
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%-8s %12s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}

podman exec "$name" curl -sS -o /dev/null "http://127.0.0.1$url"  # fill the cache
status=$(podman exec "$name" curl -sS -o /dev/null -D - "http://127.0.0.1$url" | tr -d '\r' \
  | awk -F': ' 'tolower($1) == "x-cache-status" {print $2}')
[ "$status" = HIT ] || { echo "the cached route is not a HIT (X-Cache-Status: $status)" >&2; exit 1; }
cmp <(podman exec "$name" curl -sS "http://127.0.0.1$url") <(podman exec "$name" cat /srv/bench/thumb.bin) \
  || { echo "the proxy does not serve the static bytes" >&2; exit 1; }

echo "== wrk: 2 threads, $connections connections, ${duration}s per run, 16 KiB body, $rounds rounds"
# Rounds alternate the targets and keep each one's best: on a shared machine the load of
# other jobs changes from one run to the next.
best() { python3 -c 'import sys; print(max(float(v) for v in sys.argv[1:] if v))' "$@"; }
c=() s=() p=() b=()
for round in $(seq "$rounds"); do
  echo "-- round $round" >&2
  c+=("$(run_wrk cached "http://127.0.0.1:80$url")")
  s+=("$(run_wrk static "http://127.0.0.1:8081$url")")
  p+=("$(run_wrk proxied "http://127.0.0.1:80/webclient/bench/")")
  b+=("$(run_wrk backend "http://127.0.0.1:8080$url")")
done
cached=$(best "${c[@]}") static=$(best "${s[@]}") proxied=$(best "${p[@]}") backend=$(best "${b[@]}")
printf '%-8s %12s req/s (best of %s)\n' cached "$cached" "$rounds" static "$static" "$rounds" \
  proxied "$proxied" "$rounds" backend "$backend" "$rounds"

python3 - "$cached" "$static" "$proxied" "$backend" <<'PY'
import sys
cached, static, proxied, backend = (float(v) for v in sys.argv[1:])
print(f"cached/static   {cached / static:6.2f}  (goal >= 0.80: {'met' if cached >= 0.8 * static else 'NOT met'})")
print(f"cached/backend  {cached / backend:6.2f}")
print(f"proxied/backend {proxied / backend:6.2f}  (the proxy's own overhead on uncached routes)")
PY
