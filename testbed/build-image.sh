#!/usr/bin/env bash
# Build the test-host base image for one Debian suite with debootstrap:
# systemd as PID 1, python3, openssh-server, sudo. Cached: rebuilt only when
# image-recipe.sh, the package list, the mirror or the machine's CAs change.
# Usage: build-image.sh bookworm|trixie
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
suite=${1:?usage: build-image.sh SUITE}
image="$TESTBED_IMAGE_PREFIX:$suite"
mirror=${TESTBED_MIRROR:-http://deb.debian.org/debian}
security_mirror=${TESTBED_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
packages="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,openssh-server,ca-certificates"
# Certificate authorities this machine adds to Debian's (e.g. a TLS-inspecting
# egress proxy in front of PyPI): the test hosts must trust them too.
extra_cas=(/usr/local/share/ca-certificates/*.crt)
[ -e "${extra_cas[0]}" ] || extra_cas=()
# The test bed's SSH key: molecule reaches the hosts as root with it.
if [ ! -s "$TESTBED_SSH_KEY" ]; then
  install -d -m 0700 "$(dirname "$TESTBED_SSH_KEY")"
  ssh-keygen -q -t ed25519 -N '' -C bioimage-omero-testbed -f "$TESTBED_SSH_KEY"
fi
recipe=$(cat "$here/image-recipe.sh" "$TESTBED_SSH_KEY.pub" "${extra_cas[@]}"; echo "$suite $mirror $security_mirror $packages")
want=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
log() { printf '==> [%4ss] image %s: %s\n' "$SECONDS" "$suite" "$*"; }

# The image carries its recipe hash as a label: images are shared by every test-bed cache
# (and SSH key) on this machine, so the image itself says what it was built from.
have=$(podman image inspect --format '{{ index .Config.Labels "recipe" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$want" ]; then
  log "up to date ($image)"
  exit 0
fi

root=$(mktemp -d "$TESTBED_CACHE/rootfs-$suite.XXXXXX")
trap 'rm -rf "$root"' EXIT
log "debootstrap into $root"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >/dev/null

"$here/image-recipe.sh" "$root" "$suite" "$mirror" "$security_mirror" "$TESTBED_SSH_KEY.pub" "${extra_cas[@]}"

# Import under a candidate tag; it becomes $image only once systemd boots in it.
candidate="$image-candidate"
log "importing $candidate"
tar -C "$root" --numeric-owner -c . | podman import \
  --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
  --change 'ENV container=podman' --change "LABEL recipe=$want" - "$candidate" >/dev/null

# Prove systemd boots as PID 1 with a plain `podman run`, sshd included.
probe="testbed-probe-$suite-$$"
trap 'rm -rf "$root"; podman rm -f "$probe" >/dev/null 2>&1 || true' EXIT
podman run -d --name "$probe" "$candidate" >/dev/null
state=unknown
for _ in $(seq 1 300); do  # a loaded machine can take minutes to boot a host
  state=$(podman exec "$probe" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded|maintenance|stopping) break ;; esac
  sleep 1
done
podman exec "$probe" systemctl is-active --quiet ssh.service || state="$state, ssh not active"
if [ "$state" != running ]; then
  podman exec "$probe" systemctl --failed || true
  podman rm -f "$probe" >/dev/null 2>&1 || true
  podman image rm "$candidate" >/dev/null 2>&1 || true
  echo "image $suite: systemd is '$state' in the candidate image" >&2
  exit 1
fi
old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
podman tag "$candidate" "$image" && podman untag "$candidate" "$candidate"
# The previous build goes unless a container still uses it.
[ -z "$old" ] || podman image rm "$old" >/dev/null 2>&1 || true
log "systemd is running in $image"
