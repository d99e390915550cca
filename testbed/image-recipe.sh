#!/usr/bin/env bash
# What makes a debootstrapped Debian tree a test host image. Run by
# build-image.sh; its content (with the suite, mirrors, packages and the
# machine's extra CAs) is the image's recipe: change it and images rebuild.
# Usage: image-recipe.sh ROOT SUITE MIRROR SECURITY_MIRROR SSH_PUBLIC_KEY CA_FILE...
set -euo pipefail
root=$1 suite=$2 mirror=$3 security_mirror=$4 ssh_public_key=$5
shift 5
extra_cas=("$@")

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

# Molecule logs in as root with the test bed's key, through real OpenSSH:
# ProxyCommand `podman exec -i HOST testbed-ssh-stdio` runs sshd on the pipe
# (inetd mode), so the controller needs no route to the host and host
# firewalls under test cannot cut it off. With ControlPersist and pipelining
# a task costs one round trip instead of four `podman exec` calls.
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$ssh_public_key" "$root/root/.ssh/authorized_keys"
cat > "$root/usr/local/sbin/testbed-ssh-stdio" <<'STDIO'
#!/bin/sh
# sshd in inetd mode on stdin/stdout; waits for ssh.service to make the host
# keys at first boot (makes them itself after a minute).
i=0
while [ ! -s /etc/ssh/ssh_host_ed25519_key ] && [ "$i" -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
[ -s /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null
mkdir -p -m 0755 /run/sshd
exec /usr/sbin/sshd -i
STDIO
chmod 0755 "$root/usr/local/sbin/testbed-ssh-stdio"

rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
find "$root/var/lib/apt/lists" -maxdepth 1 -type f -delete
# Empty lists must look stale, or apt's cache_valid_time skips the first update.
rm -f "$root/var/lib/apt/periodic/update-success-stamp"
touch -d @0 "$root/var/lib/apt/lists/partial" "$root/var/lib/apt/lists"
