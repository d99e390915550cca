#!/usr/bin/env bash
# Prepare this machine (Debian 12, root) to run the collection's tests and demo:
#   1. Debian packages (podman + runc, debootstrap, apt-cacher-ng, ...)
#   2. container runtime configuration (runc, cgroupfs, ulimits below the host's)
#   3. an apt cache shared by every test host (apt-cacher-ng on port 3142)
#   4. base images built locally with debootstrap: Debian 12 and 13, systemd as PID 1
#   5. the Python venv with the pinned tools (testbed/requirements.txt) and the
#      Ansible collections taken from the `ansible` wheel on PyPI
# Idempotent: every step checks its state first; images are rebuilt only when
# their recipe (this file) changes, the venv only when requirements change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"

log() { printf '==> [%4ss] setup: %s\n' "$SECONDS" "$*"; }
[ "$(id -u)" = 0 ] || { echo "setup-host.sh: run as root" >&2; exit 1; }
mkdir -p "$TESTBED_CACHE"
# One setup at a time: concurrent test runs would rebuild the same images.
exec 9>"$TESTBED_CACHE/setup.lock"
flock 9

# ------------------------------------------------------------ 1. Debian packages
HOST_PACKAGES=(podman runc conmon netavark aardvark-dns iptables debootstrap
               debian-archive-keyring python3-venv python3-dev ca-certificates
               apt-cacher-ng wrk parallel rsync git xfsprogs
               postgresql restic shellcheck openssh-client
               prometheus prometheus-alertmanager mtail)  # promtool, amtool, mtail: the monitoring unit tests
missing=()
for p in "${HOST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt: host packages present"
fi

# ------------------------------------------------------------ 2. containers.conf
install_if_changed() {  # $1 source, $2 destination
  if [ -f "$2" ] && cmp -s "$1" "$2"; then return 1; fi
  mkdir -p "$(dirname "$2")"
  install -m 0644 "$1" "$2"
}
if install_if_changed "$here/containers.conf" /etc/containers/containers.conf; then
  log "containers.conf: written"
else
  log "containers.conf: up to date"
fi

# Every test host runs its own systemd, which holds inotify instances; the
# default of 128 per user runs out at about a dozen hosts and units then fail.
for limit in fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288; do
  [ "$(sysctl -n "${limit%%=*}")" -ge "${limit#*=}" ] || sysctl -q -w "$limit" \
    || log "warning: cannot raise $limit; many concurrent test hosts may fail"
done

# ------------------------------------------------------------ 3. shared apt cache
# Test hosts find it through /usr/local/bin/apt-proxy-detect (baked into the
# images): they use it when it answers, and go direct otherwise.
# Without an explicit backend it remaps deb.debian.org to mirrors it cannot resolve.
backend=/etc/apt-cacher-ng/backends_debian
restart_cache=0
if [ "$(cat "$backend" 2>/dev/null)" != "${TESTBED_MIRROR:-http://deb.debian.org/debian}/" ]; then
  echo "${TESTBED_MIRROR:-http://deb.debian.org/debian}/" > "$backend"
  restart_cache=1
fi
if [ "$restart_cache" = 1 ] || ! (exec 3<>/dev/tcp/127.0.0.1/3142) 2>/dev/null; then
  log "apt-cacher-ng: (re)starting"
  pkill -x apt-cacher-ng 2>/dev/null && sleep 1
  # 9>&-: the daemon outlives this script and must not hold the setup lock.
  /usr/sbin/apt-cacher-ng -c /etc/apt-cacher-ng ForeGround=0 9>&-
fi

# ------------------------------------------------------------ 4. base images
"$here/build-image.sh" bookworm
"$here/build-image.sh" trixie

# ------------------------------------------------------------ 5. venv
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1) ansible=$ANSIBLE_BUNDLE_VERSION"
if [ "$(cat "$TESTBED_VENV/.testbed-stamp" 2>/dev/null)" != "$want" ]; then
  log "venv: installing $TESTBED_VENV"
  [ -x "$TESTBED_VENV/bin/python" ] || /usr/bin/python3 -m venv "$TESTBED_VENV"
  "$TESTBED_VENV/bin/pip" install -q --upgrade pip
  "$TESTBED_VENV/bin/pip" install -q -r "$here/requirements.txt"
  "$here/extract-collections.sh"
  echo "$want" > "$TESTBED_VENV/.testbed-stamp"
else
  log "venv: up to date"
fi
log "done"
