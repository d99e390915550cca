#!/usr/bin/env bash
# Fill $TESTBED_WHEELHOUSE with the Python artifacts the OMERO hosts install
# offline. (The OMERO artifacts are added with the omero_server/omero_web roles.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
mkdir -p "$TESTBED_WHEELHOUSE"
