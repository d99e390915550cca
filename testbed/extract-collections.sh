#!/usr/bin/env bash
# Put the collections we depend on into the venv, taken from the `ansible`
# wheel on PyPI (ansible-galaxy cannot reach a Galaxy server here).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
wheels="$TESTBED_CACHE/wheels"
whl="$wheels/ansible-$ANSIBLE_BUNDLE_VERSION-py3-none-any.whl"
[ -s "$whl" ] || "$TESTBED_VENV/bin/pip" download -q --no-deps "ansible==$ANSIBLE_BUNDLE_VERSION" -d "$wheels"
site=$("$TESTBED_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$TESTBED_VENV/bin/python" - "$site" "$whl" "${TESTBED_COLLECTIONS[@]}" <<'PY'
import shutil, sys, zipfile
site, whl, collections = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for c in collections:
        shutil.rmtree(f"{site}/ansible_collections/{c}", ignore_errors=True)
    for name in z.namelist():
        if any(name.startswith(f"ansible_collections/{c}/") for c in collections):
            z.extract(name, site)
PY
