#!/usr/bin/env bash
# The README test command: prepare this machine, then run every gate.
#   testbed/test.sh                   everything
#   testbed/test.sh GATE [ARG...]     one gate: lint | units | integration | sanity | build | compat | molecule [SCENARIO...]
# Exits non-zero when any gate fails; the last line counts gates passed and failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
export PATH="$TESTBED_VENV/bin:$PATH"
cd "$repo" || exit 1

passed=() failed=()
log() { printf '\n==> [%5ss] %s\n' "$SECONDS" "$*"; }
gate() {  # gate NAME COMMAND...: run one gate, remember how it ended
  local name=$1; shift
  log "gate $name: start"
  if "$@"; then passed+=("$name"); log "gate $name: PASSED"
  else failed+=("$name"); log "gate $name: FAILED"; fi
}

lint() {
  yamllint --strict . && ansible-lint --profile production && ruff check . && ruff format --check .
}

units() {
  local rc=0
  python -m pytest -q tests/unit || rc=$?
  [ "$rc" = 5 ] && { echo "no unit tests collected"; return 1; }
  return "$rc"
}

integration() {  # tests that need omero-py (and, when one is named, a real OMERO.server)
  local venv="$TESTBED_CACHE/omero-py-venv"
  if ! "$venv/bin/python" -c "import omero.clients" 2>/dev/null; then
    rm -rf "$venv" && /usr/bin/python3 -m venv "$venv" \
      && "$venv/bin/pip" install -q --no-index --find-links "$TESTBED_WHEELHOUSE" omero-py || return 1
  fi
  BIOIMAGE_OMERO_TEST_PYTHON="$venv/bin/python" python -m pytest -q -rs tests/integration
}

sanity() {  # ansible-test needs the collection inside an ansible_collections tree
  local tree rc=0
  tree=$(mktemp -d)
  "$here/seed-ansible-test.sh" python
  copy_collection "$tree/ansible_collections/bioimage/omero"
  (cd "$tree/ansible_collections/bioimage/omero" \
     && ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
          --requirements --color no) || rc=$?
  rm -rf "$tree"
  return "$rc"
}

copy_collection() {  # the files git would ship (tracked, or new and not ignored)
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$1/"
  (cd "$1" && git init -q && git add -A)
}

compat() { "$here/forward-compat.sh"; }

build() {  # the release artifact: build the tarball, install it into a temporary path
  local out rc=0
  out=$(mktemp -d)
  ansible-galaxy collection build --output-path "$out" . \
    && ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-galaxy collection install --offline -p "$out/installed" "$out"/bioimage-omero-*.tar.gz \
    && ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-galaxy collection list bioimage.omero || rc=1
  local module installed="$out/installed/ansible_collections/bioimage/omero"
  for module in "$installed"/plugins/modules/*.py; do  # every installed module documents itself
    [ -e "$module" ] || continue
    module=$(basename "$module" .py)
    ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-doc -t module "bioimage.omero.$module" >/dev/null \
      || { echo "ansible-doc failed for bioimage.omero.$module"; rc=1; }
  done
  rm -rf "$out"
  return "$rc"
}

molecule_scenarios() {  # run scenarios $TESTBED_MOLECULE_JOBS at a time, longest first
  local scenarios=("$@") s jobs=${TESTBED_MOLECULE_JOBS:-3} logs="$TESTBED_CACHE/logs/molecule"
  if [ ${#scenarios[@]} -eq 0 ]; then
    mapfile -t scenarios < <(longest_first "$(gating_scenarios)")
  fi
  rm -rf "$logs" && mkdir -p "$logs"
  for s in "${scenarios[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    log "molecule $s: start (log: $logs/$s.log)"
    ( start=$SECONDS; rc=0
      molecule test -s "$s" >"$logs/$s.log" 2>&1 || rc=$?
      echo "$rc $((SECONDS - start))" >"$logs/$s.result" ) &
  done
  wait
  for s in "${scenarios[@]}"; do
    [ -f "$logs/$s.result" ] || echo "1 0" >"$logs/$s.result"
    read -r rc took <"$logs/$s.result"
    if [ "$rc" = 0 ]; then passed+=("molecule:$s"); log "gate molecule:$s: PASSED in ${took}s"
    else
      failed+=("molecule:$s"); log "gate molecule:$s: FAILED in ${took}s; the end of its log:"
      tail -n 200 "$logs/$s.log"
    fi
  done
}

gating_scenarios() {  # every scenario, except one whose NOT-GATING.md says why it is not yet
  local dir
  for dir in molecule/*/; do
    dir=${dir%/}
    [ "$dir" = molecule/shared ] && continue
    if [ -f "$dir/NOT-GATING.md" ]; then
      log "molecule ${dir#molecule/}: not gating yet (see $dir/NOT-GATING.md); run it with: testbed/test.sh molecule ${dir#molecule/}" >&2
      continue
    fi
    echo "${dir#molecule/}"
  done
}

longest_first() {  # the scenarios that take longest start first; others follow by name
  local known="backup platform omero pitr import proxy cache_regen nodes web database proxy_tls smoke monitoring" s
  for s in $known; do grep -qx "$s" <<<"$1" && echo "$s"; done
  grep -vxF -f <(tr ' ' '\n' <<<"$known") <<<"$1" | sort || true
}

log "setting up the machine"
"$here/setup-host.sh" || { echo "setup failed"; exit 1; }
"$here/build-wheelhouse.sh" || { echo "wheelhouse build failed"; exit 1; }
"$here/link-collection.sh"

what=${1:-all}
[ $# -gt 0 ] && shift
case "$what" in
  all)
    # The gates run beside the scenarios, niced: the scenarios wait on SSH round trips and
    # apt more than on the CPU. Started outside this shell's jobs, which count the lanes.
    gates_log="$TESTBED_CACHE/logs/gates.log" gates_rc="$TESTBED_CACHE/logs/gates.rc"
    mkdir -p "$TESTBED_CACHE/logs" && rm -f "$gates_rc"
    log "gates lint, units, integration, sanity, build, compat: beside the scenarios (log: $gates_log)"
    ( nice -n 10 bash "$0" gates >"$gates_log" 2>&1; echo $? >"$gates_rc" & )
    molecule_scenarios
    while [ ! -f "$gates_rc" ]; do sleep 5; done
    cat "$gates_log"
    while read -r name verdict; do
      if [ "$verdict" = PASSED ]; then passed+=("$name"); else failed+=("$name"); fi
    done < <(sed -n 's/^==> \[ *[0-9]*s\] gate \([a-z]*\): \(PASSED\|FAILED\)$/\1 \2/p' "$gates_log")
    if [ "$(cat "$gates_rc")" != 0 ] && ! grep -q ': FAILED$' "$gates_log"; then failed+=(gates); fi ;;
  gates)
    gate lint lint
    gate units units
    gate integration integration
    gate sanity sanity
    gate build build
    gate compat compat ;;
  lint|units|integration|sanity|build|compat) gate "$what" "$what" ;;
  molecule) molecule_scenarios "$@" ;;
  *) echo "usage: testbed/test.sh [lint|units|integration|sanity|build|compat|molecule [SCENARIO...]]" >&2; exit 2 ;;
esac

log "summary (${SECONDS}s): passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
echo "gates: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
