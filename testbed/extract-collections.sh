#!/usr/bin/env bash
# Put the collections we depend on into a venv, taken from the `ansible` wheel on
# PyPI (ansible-galaxy cannot reach a Galaxy server here).
#   extract-collections.sh                                       the test bed's venv (env.sh)
#   extract-collections.sh PYTHON WHEELS VERSION COLLECTION...   the venv of PYTHON, with the wheel of
#                                                                `ansible` VERSION kept in WHEELS (forward-compat.sh)
set -euo pipefail
if [ $# -eq 0 ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  # shellcheck source=testbed/env.sh
  . "$here/env.sh"
  set -- "$TESTBED_VENV/bin/python" "$TESTBED_CACHE/wheels" "$ANSIBLE_BUNDLE_VERSION" "${TESTBED_COLLECTIONS[@]}"
fi
if [ $# -lt 4 ]; then
  echo "usage: $0 [PYTHON WHEELS VERSION COLLECTION...]" >&2
  exit 2
fi
python=$1 wheels=$2 version=$3
shift 3
whl="$wheels/ansible-$version-py3-none-any.whl"
[ -s "$whl" ] || "$python" -m pip download -q --no-deps "ansible==$version" -d "$wheels"
site=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$python" - "$site" "$whl" "$@" <<'PY'
import shutil, sys, zipfile
site, whl, collections = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for c in collections:
        shutil.rmtree(f"{site}/ansible_collections/{c}", ignore_errors=True)
    for name in z.namelist():
        if any(name.startswith(f"ansible_collections/{c}/") for c in collections):
            z.extract(name, site)
PY
