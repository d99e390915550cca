#!/usr/bin/env bash
# Proxy benchmark: two podman containers this script creates and removes (bench-proxy-cache: the
# proxy role, wrk, a static nginx, a Python stand-in, the exporters; bench-proxy-node: a real
# OMERO.web node from the omero_web role). wrk runs on the proxy host; every figure below is
# compared with a baseline measured in the same run (rounds alternate the targets and keep each
# one's best: the machine is shared). See docs/roles/proxy.md, "Performance".
#   1. cached routes against the ceiling: the static baseline is the best this nginx does on this
#      host (same workers, log line and unbuffered log as the proxy, open_file_cache, one file);
#      one hot key, then a Zipf mix (BENCH_KEYS images, BENCH_MISS_SHARE misses, cache busters,
#      Referers) with the request filter (credential arguments: 403, masked log) on and off.
#   2. uncached routes, proxied against direct, in front of the Python stand-in (two writes with
#      Nagle, as the first benchmark's; one write with TCP_NODELAY, as gunicorn) and with the
#      proxy's upstream keepalive removed: which one made proxied 0.25 x direct.
#   3. the real chain: proxy -> node nginx -> gunicorn -> OMERO.web (/api/v0/, needs no server)
#      against the node directly.
#   4. the proxy's CPU (nginx and the exporters) under the cached Zipf load, without and with a
#      scrape of the node and nginx exporters every BENCH_SCRAPE_INTERVAL s (Prometheus's
#      interval in the monitoring role).
# Env: BENCH_DURATION (s per wrk run, 1..60, default 8), BENCH_ROUNDS (1..5, default 2),
# BENCH_CONNECTIONS (default 32), BENCH_CPU_DURATION (s per CPU run, 10..300, default 60),
# BENCH_SCRAPE_INTERVAL (s, default 30), BENCH_FILTER_DURATION (s per filter CPU run, 5..120, default 15), BENCH_KEYS (default 5000), BENCH_MISS_SHARE (0.02),
# BENCH_ZIPF_S (default 1.0), BENCH_KEEP (non-empty: keep the containers, remove them with
# podman rm -f bench-proxy-cache bench-proxy-node), BENCH_REUSE (non-empty: measure again on the
# hosts a BENCH_KEEP run left, without setting them up). About 6 minutes with the defaults, after the set-up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=testbed/env.sh
. "$repo/testbed/env.sh"
export PATH="$TESTBED_VENV/bin:$PATH"
duration=${BENCH_DURATION:-8}
connections=${BENCH_CONNECTIONS:-32}
rounds=${BENCH_ROUNDS:-2}
cpu_duration=${BENCH_CPU_DURATION:-60}
filter_duration=${BENCH_FILTER_DURATION:-15}
scrape_interval=${BENCH_SCRAPE_INTERVAL:-30}
zipf_env=("BENCH_KEYS=${BENCH_KEYS:-5000}" "BENCH_MISS_SHARE=${BENCH_MISS_SHARE:-0.02}"
  "BENCH_ZIPF_S=${BENCH_ZIPF_S:-1.0}")
if [ "$duration" -lt 1 ] || [ "$duration" -gt 60 ] || [ "$rounds" -lt 1 ] || [ "$rounds" -gt 5 ] \
  || [ "$cpu_duration" -lt 10 ] || [ "$cpu_duration" -gt 300 ] || [ "$scrape_interval" -lt 1 ] \
  || [ "$filter_duration" -lt 5 ] || [ "$filter_duration" -gt 120 ]; then
  echo "BENCH_DURATION must be 1..60, BENCH_ROUNDS 1..5, BENCH_CPU_DURATION 10..300, BENCH_SCRAPE_INTERVAL >= 1, BENCH_FILTER_DURATION 5..120" >&2
  exit 2
fi
proxy=bench-proxy-cache
node=bench-proxy-node
network=bioimage-bench-proxy-cache
work=$(mktemp -d)

cleanup() {
  [ -n "${BENCH_KEEP:-}" ] && { echo "kept $proxy and $node (BENCH_KEEP)"; rm -rf "$work"; return; }
  podman rm -f "$proxy" "$node" >/dev/null 2>&1 || true
  podman network rm -f "$network" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
reuse=
if [ -n "${BENCH_REUSE:-}" ] && [ "$(podman inspect -f '{{.State.Running}}' "$proxy" "$node" 2>/dev/null)" = "true
true" ]; then
  reuse=1  # the hosts a BENCH_KEEP run left, already set up: only the scripts are copied again
  for file in cpu.sh variant.py zipf.lua; do podman cp "$here/$file" "$proxy:/srv/bench/$file"; done
else
  podman rm -f "$proxy" "$node" >/dev/null 2>&1 || true  # leftovers from an interrupted run
fi

if [ -z "$reuse" ]; then
"$repo/testbed/link-collection.sh" >/dev/null
podman network exists "$network" || podman network create "$network" >/dev/null
podman run -d --name "$proxy" --hostname "$proxy" --network "$network" \
  "$TESTBED_IMAGE_PREFIX:bookworm" /sbin/init >/dev/null
podman run -d --name "$node" --hostname "$node" --network "$network" \
  -v "$TESTBED_WHEELHOUSE:/srv/wheelhouse:ro" "$TESTBED_IMAGE_PREFIX:bookworm" /sbin/init >/dev/null
for host in "$proxy" "$node"; do
  for _ in $(seq 30); do
    podman exec "$host" systemctl is-system-running --wait >/dev/null 2>&1 && break
    sleep 1
  done
done

head -c 16384 /dev/urandom >"$work/thumb.bin"  # a thumbnail-sized body
echo "== setting up $proxy and $node (apt, the proxy and omero_web roles)"
(cd "$repo" && ANSIBLE_COLLECTIONS_PATH="$repo/.ansible/collections" ansible-playbook \
  -i "$proxy,$node," -c containers.podman.podman "$here/setup.yml" \
  -e "bench_payload=$work/thumb.bin" >"$work/setup.log" 2>&1) \
  || { tail -40 "$work/setup.log"; exit 1; }
fi

on_proxy() { podman exec "$proxy" "$@"; }
variant() { on_proxy python3 /srv/bench/variant.py "$1"; }
standin() {  # standin split|single: the stand-in that listens on 127.0.0.1:8080
  local other=single
  [ "$1" = single ] && other="split"
  on_proxy systemctl stop "bench-backend@$other.service"
  on_proxy systemctl start "bench-backend@$1.service"
  for _ in $(seq 50); do
    on_proxy curl -sf -o /dev/null http://127.0.0.1:8080/ && return 0
    sleep 0.2
  done
  echo "the $1 stand-in does not answer" >&2
  exit 1
}
header() {  # header URL NAME: one response header
  on_proxy curl -sS -o /dev/null -D - "$1" | tr -d '\r' | awk -F': ' -v n="$2" 'tolower($1) == n {print $2}'
}
status() { on_proxy curl -sS -o /dev/null -w '%{http_code}' "$@"; }

# ---- the set-up serves what it should ----
thumb=/webgateway/render_thumbnail/1/
variant role
on_proxy systemctl restart prometheus-nginx-exporter.service  # it gave up before stub_status existed
on_proxy curl -sS -o /dev/null "http://127.0.0.1:8009$thumb"  # fill the cache
[ "$(header "http://127.0.0.1:8009$thumb" x-cache-status)" = HIT ] \
  || { echo "the cached route is not a HIT" >&2; exit 1; }
cmp <(on_proxy curl -sS "http://127.0.0.1:8009$thumb") <(on_proxy curl -sS "http://127.0.0.1:8081/webgateway/render_thumbnail/7/") \
  || { echo "the proxy and the static nginx do not serve the same bytes" >&2; exit 1; }
[ "$(status "http://127.0.0.1:8009$thumb?bsession=x")" = 403 ] \
  || { echo "the request filter does not refuse a credential argument" >&2; exit 1; }
api=/api/v0/
direct=$(on_proxy curl -sS -H "Host: $proxy" "http://$node:8080$api")
proxied=$(on_proxy curl -sS "http://127.0.0.1:80$api")
if [[ $direct != *'"url:images"'* ]] || [ "$direct" != "$proxied" ]; then
  echo "OMERO.web's $api differs through the proxy: $direct / $proxied" >&2
  exit 1
fi
variant nofilter
[ "$(status "http://127.0.0.1:8009$thumb?bsession=x")" = 200 ] \
  || { echo "the nofilter variant still refuses" >&2; exit 1; }
variant role

# ---- the runs ----
results=$work/results
runs=0  # each run's misses ask for images no earlier run asked for (zipf.lua's BENCH_NONCE)
run_wrk() {  # run_wrk LABEL [wrk arguments...]: appends "LABEL RPS P99" to $results
  local label=$1 out rps p99
  shift
  runs=$((runs + 1))
  out=$(on_proxy env BENCH_NONCE=$runs "${zipf_env[@]}" \
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$@")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '  %-22s %10s req/s   p99 %s\n' "$label" "$rps" "$p99"
  echo "$label $rps $p99" >>"$results"
}
zipf=(-s /srv/bench/zipf.lua)
echo "== warming the cache: every one of the ${BENCH_KEYS:-5000} images once"
on_proxy env BENCH_MODE=warm "${zipf_env[@]}" wrk -t2 -c8 -d"$((duration < 5 ? 5 : duration))s" \
  "${zipf[@]}" http://127.0.0.1:8009 >/dev/null

echo "== wrk: 2 threads, $connections connections, ${duration}s per run, 16 KiB thumbnails, $rounds rounds"
for round in $(seq "$rounds"); do
  echo "-- round $round"
  run_wrk static-one "http://127.0.0.1:8081$thumb"
  run_wrk cached-one "http://127.0.0.1:8009$thumb"
  run_wrk static-zipf "${zipf[@]}" http://127.0.0.1:8081
  # the filter on and off in turn, the order swapped every round
  for filter in $([ $((round % 2)) = 1 ] && echo "role nofilter" || echo "nofilter role"); do
    variant "$filter"
    run_wrk "cached-zipf-$filter" "${zipf[@]}" http://127.0.0.1:8009
  done
  variant role
  run_wrk standin-single-direct http://127.0.0.1:8080/webclient/bench/
  run_wrk standin-single-proxied http://127.0.0.1:8009/webclient/bench/
  variant nokeepalive
  run_wrk standin-single-noka http://127.0.0.1:8009/webclient/bench/
  variant role
  standin split
  run_wrk standin-split-direct http://127.0.0.1:8080/webclient/bench/
  run_wrk standin-split-proxied http://127.0.0.1:8009/webclient/bench/
  standin single
  run_wrk node-direct -H "Host: $proxy" "http://$node:8080$api"
  run_wrk node-proxied "http://127.0.0.1:80$api"
done

echo "== proxy CPU under the cached Zipf load, ${cpu_duration}s each: no scrape, then a scrape every ${scrape_interval}s"
cpu_plain=$(on_proxy env BENCH_NONCE=91 "${zipf_env[@]}" bash /srv/bench/cpu.sh "$cpu_duration" 0 "$connections")
cpu_scraped=$(on_proxy env BENCH_NONCE=92 "${zipf_env[@]}" bash /srv/bench/cpu.sh "$cpu_duration" "$scrape_interval" "$connections")

# Throughput on a shared machine moves by more than the filter's cost; nginx's own CPU time per
# request does not: the filter on and off in turn, the order swapped every pair, CPU summed.
echo "== request filter cost: nginx CPU per request under the cached Zipf load, ${filter_duration}s runs, filter on and off in turn"
filter_cpu=$work/filter-cpu
for pair in 1 2 3 4; do
  for filter in $([ $((pair % 2)) = 1 ] && echo "role nofilter" || echo "nofilter role"); do
    variant "$filter"
    echo "$filter $(on_proxy env BENCH_NONCE=$((100 + pair)) "${zipf_env[@]}" bash /srv/bench/cpu.sh "$filter_duration" 0 "$connections")" >>"$filter_cpu"
  done
done
variant role

python3 - "$results" "$cpu_duration" "$cpu_plain" "$cpu_scraped" "$filter_cpu" <<'PY'
import sys

best = {}
for line in open(sys.argv[1]):
    label, rps, _ = line.split()
    best[label] = max(best.get(label, 0.0), float(rps))
print("== best of the rounds (req/s)")
for label, rps in best.items():
    print(f"  {label:22s} {rps:10.0f}")


def ratio(name, a, b, goal=None, note=""):
    value = best[a] / best[b]
    verdict = "" if goal is None else f"  (goal {goal[0]} {goal[1]:.2f}: {'met' if (value >= goal[1] if goal[0] == '>=' else value <= goal[1]) else 'NOT met'})"
    print(f"  {name:34s} {value:6.3f}{verdict}{note}")


print("== ratios")
ratio("cached/static, one key", "cached-one", "static-one")
ratio("cached/static, Zipf mix", "cached-zipf-role", "static-zipf")
cost = 1 - best["cached-zipf-role"] / best["cached-zipf-nofilter"]
print(f"  {'filter on/off, throughput (noisy)':34s} {cost * 100:5.1f} %  (see the CPU measure below)")
ratio("stand-in two writes: proxied/direct", "standin-split-proxied", "standin-split-direct")
ratio("stand-in one write: proxied/direct", "standin-single-proxied", "standin-single-direct")
ratio("same, no upstream keepalive", "standin-single-noka", "standin-single-direct")
ratio("real chain: proxied/direct-to-node", "node-proxied", "node-direct", (">=", 0.9))

duration = float(sys.argv[2])
print(f"== proxy CPU under load ({duration:.0f} s each; CPU seconds; cores = CPU s / wall s)")
runs = {}
for name, raw in (("no scrape", sys.argv[3]), ("scraped", sys.argv[4])):
    nginx, exporters, hz, requests, scrapes = (float(v) for v in raw.split())
    runs[name] = (nginx / hz, exporters / hz, requests, scrapes)
    total = (nginx + exporters) / hz
    print(f"  {name:9s}: nginx {nginx / hz:6.2f} s, exporters {exporters / hz:5.2f} s ({scrapes:.0f} scrapes),"
          f" {total / duration:4.2f} cores, {requests / duration:8.0f} req/s, {total / requests * 1e6:6.1f} CPU-us/request")
plain, scraped = runs["no scrape"], runs["scraped"]
extra = scraped[1] - plain[1]
share = extra / (plain[0] + plain[1])
print(f"  scrape cost: the exporters' extra {extra:.2f} CPU s = {share * 100:.2f} % of the proxy's CPU under load"
      f"  (goal < 1 %: {'met' if share < 0.01 else 'NOT met'})")
per_request = ((scraped[0] + scraped[1]) / scraped[2]) / ((plain[0] + plain[1]) / plain[2])
print(f"  CPU per request, scraped/no scrape: {per_request:.3f} (whole-proxy view, includes the machine's noise)")
cpu = {}
for line in open(sys.argv[5]):
    name, nginx, _exporters, _hz, requests, _scrapes = line.split()
    ticks, total = cpu.get(name, (0.0, 0.0))
    cpu[name] = (ticks + float(nginx), total + float(requests))
on, off = (cpu[name][0] / cpu[name][1] for name in ("role", "nofilter"))
print(f"  request filter cost: nginx CPU per cached request {on / off:.3f} x without it = {(on / off - 1) * 100:+.2f} %"
      f"  (goal < 2 %: {'met' if on / off - 1 < 0.02 else 'NOT met'}; {cpu['role'][1]:.0f} and {cpu['nofilter'][1]:.0f} requests)")
PY
