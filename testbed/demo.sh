#!/usr/bin/env bash
# The main job: deploy the demo OMERO platform into local systemd hosts and
# print what to open.
#   sudo ./testbed/demo.sh            create or update the demo (idempotent)
#   sudo ./testbed/demo.sh destroy    remove the demo hosts, network, volumes and secrets
# The demo inventory is inventories/demo: one environment `prod` (database,
# read-write node, read-only node, proxy) and the front that publishes it on
# this machine's loopback (127.0.0.1:8080 HTTP, 127.0.0.1:8443 HTTPS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
export PATH="$TESTBED_VENV/bin:$PATH"
log() { printf '==> [%4ss] demo: %s\n' "$SECONDS" "$*"; }
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (sudo ./testbed/demo.sh)" >&2; exit 1; }
cd "$repo"

case "${1:-up}" in
  up) ;;
  destroy)
    log "removing the demo hosts, network and volumes"
    ansible-playbook -i inventories/demo testbed/demo-hosts.yml -e demo_state=absent -e demo_remove_volumes=true
    rm -rf "$TESTBED_CACHE/demo"
    log "done: the demo is gone (the test bed caches in $TESTBED_CACHE stay)"
    exit 0 ;;
  *) echo "usage: testbed/demo.sh [destroy]" >&2; exit 2 ;;
esac

log "setting up this machine (packages, images, venv)"
"$here/setup-host.sh"
log "building the OMERO wheelhouse (cached)"
"$here/build-wheelhouse.sh"
"$here/link-collection.sh"

log "creating the demo hosts (podman, systemd) and their volumes"
ansible-playbook -i inventories/demo testbed/demo-hosts.yml

log "deploying the platform: ansible-playbook -i inventories/demo site.yml"
ansible-playbook -i inventories/demo site.yml

cat <<MSG

==> The demo platform is up ($SECONDS s).

  Open   http://127.0.0.1:8080/webclient/     (OMERO.web through the caching proxy; its login
                                               page is refused there on purpose, see the docs)
         https://127.0.0.1:8443/webclient/    (self-signed certificate:
                                               $TESTBED_CACHE/demo/secrets/tls.crt)
         http://127.0.0.1:8080/api/           (the JSON API; a second request shows
                                               X-Cache-Status: HIT)

  The public entry is the front (demo-front) forwarding to the live
  environment's proxy (demo-prod-proxy). Hosts: podman ps --filter label=bioimage-omero-demo
  Shell on a host: podman exec -it demo-prod-omero-rw bash
  OMERO.server itself is not running here: its release archive cannot be
  downloaded on this machine (see docs/operations/demo.md).

  Re-run:     sudo ./testbed/demo.sh           (idempotent)
  Tear down:  sudo ./testbed/demo.sh destroy
  Docs:       docs/operations/demo.md

MSG
