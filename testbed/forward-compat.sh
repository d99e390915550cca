#!/usr/bin/env bash
# Forward compatibility: ansible-test sanity and the unit tests under the newest
# ansible-core on Debian 13 (Python 3.13), inside a throwaway trixie container.
# The venv and pip cache live in $TESTBED_CACHE so a second run installs nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=testbed/env.sh
. "$here/env.sh"
CORE_VERSION=${TESTBED_COMPAT_CORE_VERSION:-2.21.5}
BUNDLE_VERSION=${TESTBED_COMPAT_BUNDLE_VERSION:-14.5.0}
state="$TESTBED_CACHE/compat-$CORE_VERSION"
mkdir -p "$state/pip-cache" "$state/wheels" "$state/ansible-test"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
   | rsync -a --from0 --files-from=- ./ "$tree/")

podman run --rm --name "bioimage-compat-$$" --network host \
  -e LANG=C.UTF-8 -e CORE_VERSION="$CORE_VERSION" -e BUNDLE_VERSION="$BUNDLE_VERSION" \
  -e COLLECTIONS="${TESTBED_COLLECTIONS[*]}" \
  -v "$tree:/src:ro" -v "$state:/state" -v "$state/pip-cache:/root/.cache/pip" \
  -v "$here:/testbed:ro" -v "$state/ansible-test:/root/.ansible/test" \
  --entrypoint /bin/bash "$TESTBED_IMAGE_PREFIX:trixie" -c '
set -euo pipefail
if ! command -v shellcheck >/dev/null || ! command -v pg_ctlcluster >/dev/null || ! command -v restic >/dev/null \
   || ! command -v promtool >/dev/null || ! command -v amtool >/dev/null || ! command -v mtail >/dev/null; then
  apt-get update -qq
  # promtool, amtool and mtail: the monitoring role'"'"'s unit tests.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv git rsync shellcheck postgresql restic >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager mtail >/dev/null
fi
venv=/state/venv
if [ "$(cat $venv/.stamp 2>/dev/null)" != "$CORE_VERSION $BUNDLE_VERSION" ]; then
  rm -rf $venv && python3 -m venv $venv
  $venv/bin/pip install -q "ansible-core==$CORE_VERSION" pytest
  /testbed/extract-collections.sh $venv/bin/python /state/wheels "$BUNDLE_VERSION" $COLLECTIONS
  echo "$CORE_VERSION $BUNDLE_VERSION" > $venv/.stamp
fi
export PATH=$venv/bin:$PATH
pip install -q -r /src/tests/unit/requirements.txt
/testbed/seed-ansible-test.sh python
work=/tmp/c/ansible_collections/bioimage/omero
mkdir -p $work && rsync -a /src/ $work/
cd $work && git init -q && git add -A
echo "== ansible-core $(ansible --version | head -1) on $(python3 --version)"
ansible-test sanity --python 3.13 --requirements --color no
python -m pytest -q -p no:cacheprovider --rootdir=$work -o pythonpath=/tmp/c tests/unit
'
