#!/usr/bin/env bash
# Build the test-host base image for one Debian suite with debootstrap:
# systemd as PID 1, python3, openssh-server, sudo. Cached: rebuilt only when
# this recipe, the package list or the mirror changes.
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
recipe=$(cat "$0" "${extra_cas[@]}"; echo "$mirror $security_mirror $packages")
want=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
log() { printf '==> [%4ss] image %s: %s\n' "$SECONDS" "$suite" "$*"; }

if [ "$(podman image inspect --format '{{index .Labels "recipe"}}' "$image" 2>/dev/null)" = "$want" ]; then
  log "up to date ($image)"
  exit 0
fi

root=$(mktemp -d "$TESTBED_CACHE/rootfs-$suite.XXXXXX")
trap 'rm -rf "$root"' EXIT
log "debootstrap into $root"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >/dev/null

# Each container gets its own machine id (systemd fills the empty file at boot).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"

cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
SOURCES
cat > "$root/etc/apt/apt.conf.d/90testbed" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::Retries "3";
Acquire::http::Proxy-Auto-Detect "/usr/local/bin/apt-proxy-detect";
APT
# The host may use a frozen snapshot mirror: carry its validity settings over.
apt-config dump 2>/dev/null | grep -E '^Acquire::(Check-Valid-Until|Check-Date) ' \
  > "$root/etc/apt/apt.conf.d/80host-acquire" || true
# Use the test bed's shared apt cache when it answers, go direct otherwise.
cat > "$root/usr/local/bin/apt-proxy-detect" <<'DETECT'
#!/bin/bash
if timeout 2 bash -c 'exec 3<>/dev/tcp/host.containers.internal/3142' 2>/dev/null; then
  echo http://host.containers.internal:3142
else
  echo DIRECT
fi
DETECT
chmod 0755 "$root/usr/local/bin/apt-proxy-detect"

if [ ${#extra_cas[@]} -gt 0 ]; then
  cp "${extra_cas[@]}" "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
# pip's bundled certifi ignores the system store; point pip at it.
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$root/etc/pip.conf"

# Timers that would grab the dpkg lock mid-test, and consoles nobody reads.
chroot "$root" systemctl mask --quiet apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer \
  getty@tty1.service console-getty.service systemd-pstore.service \
  systemd-ask-password-console.path systemd-ask-password-wall.path 2>/dev/null || true
# SSH host keys are made per container at first boot, not baked into the image.
rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat > "$root/etc/systemd/system/ssh.service.d/testbed-hostkeys.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT

rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
find "$root/var/lib/apt/lists" -maxdepth 1 -type f -delete
# Empty lists must look stale, or apt's cache_valid_time skips the first update.
rm -f "$root/var/lib/apt/periodic/update-success-stamp"
touch -d @0 "$root/var/lib/apt/lists/partial" "$root/var/lib/apt/lists"

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
podman tag "$candidate" "$image" && podman untag "$candidate"
# The previous build goes unless a container still uses it.
[ -z "$old" ] || podman image rm "$old" >/dev/null 2>&1 || true
log "systemd is running in $image"
