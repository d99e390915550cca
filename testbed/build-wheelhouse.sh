#!/usr/bin/env bash
# Fill $TESTBED_WHEELHOUSE with the Python artifacts the OMERO test hosts
# install offline (pip --no-index --find-links): zeroc-ice 3.6.5 built for
# Debian 12's Python 3.11 and Debian 13's Python 3.13, plus omero-py,
# omero-web, the OMERO.web apps and every dependency.
#
# The build logic is the collection's own wheelhouse role
# (playbooks/build_wheelhouse.yml): this script runs it in a throwaway
# container of each base image, so every compiled wheel matches that Debian's
# Python and libssl, and then installs the result in a fresh container of
# each image to prove it is complete.
#
# Cached: when the stamp matches the recipe (this script, the role, the
# playbook) nothing runs. A changed recipe builds a new directory next to the
# old one and swaps it in only when the build and the check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
export PATH="$TESTBED_VENV/bin:$PATH"

SUITES=(bookworm trixie)
# Installed from the result to prove the wheelhouse is complete.
CHECK_PACKAGES=(omero-py omero-cli-render omero-certificates omero-web gunicorn django-redis django-prometheus omero-figure omero-iviewer)
log() { printf '==> [%4ss] wheelhouse: %s\n' "$SECONDS" "$*"; }

recipe=$(
  cd "$repo"
  { sha256sum testbed/build-wheelhouse.sh playbooks/build_wheelhouse.yml
    find roles/wheelhouse -type f -print0 | sort -z | xargs -0 sha256sum
    echo "${SUITES[*]}"; } | sha256sum | cut -d' ' -f1
)
stamp="$TESTBED_WHEELHOUSE/.testbed-recipe"
up_to_date() {
  [ "$(cat "$stamp" 2>/dev/null)" = "$recipe" ] || return 1
  log "up to date ($(find "$TESTBED_WHEELHOUSE" -name '*.whl' | wc -l) wheels in $TESTBED_WHEELHOUSE)"
}
up_to_date && exit 0
# One build at a time on this machine; a second caller waits, then finds it done.
# (Children get `9>&-`: a container's conmon must not inherit the lock.)
mkdir -p "$TESTBED_CACHE"
exec 9>"$TESTBED_CACHE/wheelhouse.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi
up_to_date && exit 0

"$here/link-collection.sh"
# An interrupted build of the same recipe resumes (every step of the role
# skips what is already there); any other leftover is discarded.
new="$TESTBED_WHEELHOUSE.new"
if [ "$(cat "$new/.testbed-building" 2>/dev/null)" != "$recipe" ]; then
  rm -rf "$new"
fi
mkdir -p "$new" "$TESTBED_CACHE/pip-cache"
echo "$recipe" > "$new/.testbed-building"

# zeroc-ice is the slow part (a C++ compile per suite) and depends on its own
# inputs only: its tasks, patch, version and the base images. When those are
# unchanged, the previous wheelhouse's zeroc-ice wheels are reused (the role
# builds zeroc-ice only when no wheel for the Python is there).
ice_recipe=$(
  cd "$repo"
  { sha256sum roles/wheelhouse/tasks/zeroc_ice.yml roles/wheelhouse/vars/main.yml
    find roles/wheelhouse/files -type f -print0 | sort -z | xargs -0 sha256sum
    grep -h '^wheelhouse_zeroc_ice_version:' roles/wheelhouse/defaults/main.yml
    for suite in "${SUITES[@]}"; do podman image inspect --format '{{.Id}}' "$TESTBED_IMAGE_PREFIX:$suite"; done
  } | sha256sum | cut -d' ' -f1
)
if [ "$(cat "$TESTBED_WHEELHOUSE/.testbed-zeroc-ice-recipe" 2>/dev/null)" = "$ice_recipe" ]; then
  log "zeroc-ice recipe unchanged: reusing its wheels"
  cp -n "$TESTBED_WHEELHOUSE"/zeroc_ice-*.whl "$new/"
fi

# pip in the containers trusts what this machine trusts (some build machines
# reach PyPI through a TLS-inspecting proxy whose CA only the host knows).
host_ca=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
ca_opts=() pip_env='{}'
if [ -f "$host_ca" ]; then
  ca_opts=(-v "$host_ca:/etc/ssl/certs/testbed-host-ca.crt:ro")
  pip_env='{"PIP_CERT": "/etc/ssl/certs/testbed-host-ca.crt"}'
fi

containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

run_container() {  # run_container NAME SUITE WHEELHOUSE-MOUNT-OPTIONS: a throwaway host
  containers+=("$1")
  podman rm -f -t 0 "$1" >/dev/null 2>&1 || true
  # Its own cgroup: on a machine busy with test hosts the compile gets a fair
  # share of the CPU instead of a slice of the containers' common one.
  podman run -d --name "$1" --cgroup-parent /bioimage-wheelhouse \
    -v "$new:/srv/wheelhouse:$3" \
    -v "$TESTBED_CACHE/pip-cache:/root/.cache/pip" \
    "${ca_opts[@]}" "$TESTBED_IMAGE_PREFIX:$2" sleep infinity >/dev/null 9>&-
  # a throwaway build host: dpkg need not fsync every file
  podman exec "$1" sh -c 'echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/testbed-unsafe-io'
}

for suite in "${SUITES[@]}"; do
  name="bioimage-wheelhouse-build-$suite"
  log "$suite: building in container $name"
  run_container "$name" "$suite" rw
  (cd "$repo" && ansible-playbook -i "$name," -c containers.podman.podman \
     playbooks/build_wheelhouse.yml \
     -e wheelhouse_hosts=all -e wheelhouse_dir=/srv/wheelhouse \
     -e "{\"wheelhouse_pip_environment\": $pip_env}" 9>&-)
  podman rm -f -t 0 "$name" >/dev/null
  log "$suite: built"
done

for suite in "${SUITES[@]}"; do
  name="bioimage-wheelhouse-check-$suite"
  log "$suite: installing ${CHECK_PACKAGES[*]} from the wheelhouse alone"
  run_container "$name" "$suite" ro
  podman exec "$name" sh -ec "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv /tmp/venv
    PIP_CONFIG_FILE=/dev/null /tmp/venv/bin/pip install -q --no-index --find-links /srv/wheelhouse ${CHECK_PACKAGES[*]}
    cd /tmp && /tmp/venv/bin/python -c 'import importlib.metadata as m, omero, Ice, omeroweb; print(\"Ice\", Ice.stringVersion(), \"omero-py\", m.version(\"omero-py\"))'"
  podman rm -f -t 0 "$name" >/dev/null
done

rm -f "$new/.testbed-building"
echo "$recipe" > "$new/.testbed-recipe"
echo "$ice_recipe" > "$new/.testbed-zeroc-ice-recipe"
rm -rf "$TESTBED_WHEELHOUSE.old"
[ -d "$TESTBED_WHEELHOUSE" ] && mv "$TESTBED_WHEELHOUSE" "$TESTBED_WHEELHOUSE.old"
mv "$new" "$TESTBED_WHEELHOUSE"
rm -rf "$TESTBED_WHEELHOUSE.old"
log "done: $(find "$TESTBED_WHEELHOUSE" -name '*.whl' | wc -l) wheels in $TESTBED_WHEELHOUSE"
