#!/usr/bin/env bash
# Put our pip bootstrap script where ansible-test looks for its cached get-pip.py
# (ansible-test's own download host is not reachable from the test machines).
# Usage: seed-ansible-test.sh PYTHON   (the interpreter that runs ansible-test)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${1:?usage: seed-ansible-test.sh PYTHON}
version=$("$python" - <<'PY'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)
mkdir -p ~/.ansible/test/cache
install -m 0644 "$here/ansible-test-get-pip.py" ~/.ansible/test/cache/"get_pip_${version//./_}.py"
