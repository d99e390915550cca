#!/usr/bin/env bash
# Make this checkout importable as the bioimage.omero collection (ansible.cfg
# looks in .ansible/collections), so playbooks run straight from the checkout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
link="$repo/.ansible/collections/ansible_collections/bioimage/omero"
mkdir -p "$(dirname "$link")"
# ansible-lint installs a copy of the collection here: a link made inside that copy would leave
# molecule running the lint-time snapshot, so a real directory is replaced by the link.
if [ -d "$link" ] && [ ! -L "$link" ]; then rm -rf "$link"; fi
ln -sfn "$repo" "$link"
