# Shared settings of the test bed, sourced by every testbed/ script.
# shellcheck shell=bash
# shellcheck disable=SC2034  # read by the scripts that source this file
TESTBED_CACHE=${TESTBED_CACHE:-/var/cache/bioimage-omero-testbed}
TESTBED_VENV=${TESTBED_VENV:-$TESTBED_CACHE/venv}
TESTBED_WHEELHOUSE=${TESTBED_WHEELHOUSE:-$TESTBED_CACHE/wheelhouse}
TESTBED_IMAGE_PREFIX=${TESTBED_IMAGE_PREFIX:-localhost/bioimage-omero-testbed}
# The key molecule logs in to every test host with (its public half is in the images).
TESTBED_SSH_KEY=${TESTBED_SSH_KEY:-$TESTBED_CACHE/ssh/id_ed25519}
# The `ansible` package on PyPI carries the collections we depend on
# (no Galaxy server is reachable from the test machines).
ANSIBLE_BUNDLE_VERSION=${ANSIBLE_BUNDLE_VERSION:-12.3.0}
TESTBED_COLLECTIONS=(containers/podman ansible/posix community/general
                     community/postgresql community/crypto openstack/cloud)
# ansible-core refuses LC_ALL=C; tests never rely on injected fact variables.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
export ANSIBLE_INJECT_FACT_VARS=false
export TESTBED_CACHE TESTBED_VENV TESTBED_WHEELHOUSE TESTBED_IMAGE_PREFIX TESTBED_SSH_KEY
