#!/usr/bin/env bash
# CPU of the proxy (its nginx master and workers, the node and nginx exporters) while wrk loads
# the cached Zipf mix for DURATION seconds, with or without a Prometheus-style scrape of both
# exporters every INTERVAL seconds (the first at the start, as Prometheus does).
# usage: cpu.sh DURATION INTERVAL(0: no scrape) CONNECTIONS
# Prints: nginx_ticks exporter_ticks ticks_per_second requests scrapes
set -euo pipefail
duration=$1 interval=$2 connections=$3
ticks() {  # CPU of the given processes and of their children already reaped (utime..cstime)
  local total=0 pid
  for pid in "$@"; do
    [[ $pid =~ ^[1-9][0-9]*$ ]] || continue  # systemd says 0 for a unit that is not running
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
nginx_ticks() {  # the master (with the workers a reload retired: reaped, so in its cutime) + live workers
  local master
  master=$(cat /run/nginx.pid)
  # shellcheck disable=SC2046  # one PID per word
  echo $(($(ticks "$master") + $(ticks $(pgrep -P "$master" | tr '\n' ' ')) ))
}
# A reload just before (bench variants) leaves old workers shutting down: let them finish.
for _ in $(seq 50); do pgrep -f 'nginx: worker process is shutting down' >/dev/null || break; sleep 0.2; done
mapfile -t exporter_pids < <(systemctl show -P MainPID prometheus-node-exporter.service prometheus-nginx-exporter.service)
for unit in prometheus-node-exporter prometheus-nginx-exporter; do
  systemctl is-active --quiet "$unit" || { echo "$unit is not running" >&2; exit 1; }
done
n0=$(nginx_ticks) e0=$(ticks "${exporter_pids[@]}")
BENCH_NONCE=$RANDOM wrk -t2 -c"$connections" -d"${duration}s" -s /srv/bench/zipf.lua \
  http://127.0.0.1:8009 >/tmp/bench-cpu-wrk.out &
wrk_pid=$!
scrapes=0
if [ "$interval" -gt 0 ]; then
  for ((at = 0; at < duration; at += interval)); do
    curl -sf -o /dev/null http://127.0.0.1:9100/metrics
    curl -sf -o /dev/null http://127.0.0.1:9113/metrics
    scrapes=$((scrapes + 1))
    [ $((at + interval)) -lt "$duration" ] && sleep "$interval"
  done
fi
wait "$wrk_pid"
n1=$(nginx_ticks) e1=$(ticks "${exporter_pids[@]}")
requests=$(awk '/requests in/ {print $1}' /tmp/bench-cpu-wrk.out)
echo "$((n1 - n0)) $((e1 - e0)) $(getconf CLK_TCK) $requests $scrapes"
