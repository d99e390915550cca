#!/usr/bin/env bash
# Make this checkout importable as the bioimage.omero collection (ansible.cfg
# looks in .ansible/collections), so playbooks run straight from the checkout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$repo/.ansible/collections/ansible_collections/bioimage"
ln -sfn "$repo" "$repo/.ansible/collections/ansible_collections/bioimage/omero"
