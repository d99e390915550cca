#!/usr/bin/env bash
# Benchmark: `site.yml` re-run on an unchanged platform against the floor
# Ansible itself costs, in one run:
#   - first converge of the demo topology (inventories/demo: database, read-write
#     node, read-only node, proxy, front), in throwaway hosts of its own;
#   - the idempotent re-run (must report 0 changed), timed;
#   - the floor: a playbook that runs, on each host, as many no-op tasks
#     (ansible.builtin.ping: one module round trip) as the re-run ran there
#     (ok + changed of its recap), one play per host in turn like site.yml's plays,
#     over the same SSH connections (same inventory, ansible.cfg, multiplexing);
# then prints the ratio re-run / floor (goal <= 1.5) and the ten slowest tasks
# of the re-run (ansible.posix.profile_tasks).
#
# The hosts are podman containers made by testbed/demo-hosts.yml from a copy of
# inventories/demo with the host names prefixed `bench-site-`, on their own
# network (bioimage-bench-site), with their volumes in a small XFS image under a
# temporary directory; nothing is published on this machine. All of it is
# removed at the end. Run as root from anywhere:  bench/site/run.sh
# Bounded: each ansible-playbook run times out (BENCH_TIMEOUT, default 3600 s, at most 7200:
# a first converge took more than 30 minutes on a shared 2-core machine at load 20+).
# BENCH_NAME (default bench-site) names the hosts and their network, so that two
# checkouts (before and after a change) can be measured side by side.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=testbed/env.sh
. "$repo/testbed/env.sh"
export PATH="$TESTBED_VENV/bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "run as root (the hosts are podman containers with systemd)" >&2; exit 2; }
TIMEOUT=${BENCH_TIMEOUT:-3600}
NAME=${BENCH_NAME:-bench-site}
[[ $NAME =~ ^[a-z][a-z0-9-]{0,30}$ ]] || { echo "BENCH_NAME: lower-case letters, digits and dashes" >&2; exit 2; }
(( TIMEOUT > 7200 )) && TIMEOUT=7200
PY="$TESTBED_VENV/bin/python"
work=$(mktemp -d "/tmp/$NAME.XXXXXX")
inv="$work/inventory"
cd "$repo"
"$repo/testbed/link-collection.sh" >/dev/null

calc() { "$PY" -c "print($1)"; }
play() {  # play LOG ARGS...: one bounded ansible-playbook run, its wall clock in $work/LOG.secs
  local log=$1 t0 t1 rc=0; shift
  t0=$(date +%s.%N)
  timeout "$TIMEOUT" ansible-playbook -i "$inv" "$@" > "$work/$log.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  calc "$t1 - $t0" > "$work/$log.secs"
  if [ "$rc" != 0 ]; then
    tail -40 "$work/$log.log" >&2
    echo "bench/site: ansible-playbook $* failed (rc $rc), log kept in $work/$log.log" >&2
    keep=1
    return "$rc"
  fi
}
keep=0
cleanup() {
  set +e
  ansible-playbook -i "$inv" testbed/demo-hosts.yml -e demo_state=absent -e demo_remove_volumes=true \
    > "$work/destroy.log" 2>&1 || echo "bench/site: removing the hosts failed, see $work/destroy.log" >&2
  if [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

echo "==> inventory: inventories/demo with its hosts renamed $NAME-*"
cp -r "$repo/inventories/demo" "$inv"
sed -i -e "s/\\bdemo-prod-/$NAME-prod-/g" -e "s/\\bdemo-front\\b/$NAME-front/g" "$inv/hosts.yml"
mkdir -p "$inv/host_vars"
# A private copy of the wheelhouse: testbed/build-wheelhouse.sh replaces the directory (a
# rebuild by anyone on this machine would leave the hosts' bind mount pointing at nothing).
cp -r "$TESTBED_WHEELHOUSE" "$work/wheelhouse"
# group_vars/ beats the inventory file's vars: a network, secrets and volumes of our own.
cat > "$inv/group_vars/all/bench.yml" <<YML
---
demo_network: bioimage-$NAME
platform_secrets_dir: $work/secrets
release_local_root: $work/volumes
release_local_image: $work/volumes.img
release_local_image_size: 3G
platform_wheelhouse: $work/wheelhouse
YML
# Nothing published on this machine (the demo itself may be using 8080/8443).
printf -- '---\ndemo_published_ports: []\n' > "$inv/host_vars/$NAME-front.yml"

echo "==> hosts (podman, systemd)"
play hosts testbed/demo-hosts.yml
echo "==> first converge of site.yml"
play converge site.yml
echo "==> re-run of site.yml (unchanged platform)"
PROFILE_TASKS_TASK_OUTPUT_LIMIT=10 PROFILE_TASKS_SORT_ORDER=descending \
  ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks play rerun site.yml

# host ok changed, from the re-run's recap
sed -n '/^PLAY RECAP/,/^$/p' "$work/rerun.log" \
  | sed -n 's/^\([^ ]*\) *: ok=\([0-9]*\) *changed=\([0-9]*\).*/\1 \2 \3/p' > "$work/recap.txt"
changed=$(awk '{s += $3} END {print s + 0}' "$work/recap.txt")

echo "==> floor: the same number of no-op tasks per host"
{
  echo "---"
  while read -r host ok _; do
    echo "- name: Floor of $host"
    echo "  hosts: $host"
    echo "  gather_facts: false"
    echo "  tasks:"
    for i in $(seq 1 "$ok"); do
      echo "    - name: No-op $i"
      echo "      ansible.builtin.ping:"
    done
  done < "$work/recap.txt"
} > "$work/floor.yml"
ANSIBLE_CALLBACKS_ENABLED='' play floor "$work/floor.yml"

converge=$(cat "$work/converge.secs"); rerun=$(cat "$work/rerun.secs"); floor=$(cat "$work/floor.secs")
echo
echo "tasks run per host in the re-run (ok, of which changed):"
awk '{printf "  %-28s %4d %4d\n", $1, $2, $3}' "$work/recap.txt"
echo "ten slowest tasks of the re-run (ansible.posix.profile_tasks):"
sed -n '/^PLAY RECAP/,$p' "$work/rerun.log" | grep -E ' -+ +[0-9.]+s$' | head -10 | sed 's/^/  /'
printf 'RESULT first converge %.1f s, re-run %.1f s (%d changed), floor %.1f s\n' "$converge" "$rerun" "$changed" "$floor"
printf 'RESULT ratio re-run / floor: %.2f (goal <= 1.5)\n' "$(calc "$rerun / $floor")"
if [ "$changed" != 0 ]; then
  echo "bench/site: the re-run changed $changed task(s): not idempotent (log kept in $work/rerun.log)" >&2
  keep=1
  exit 1
fi
