"""Stand-in for ansible-test's get-pip.py bootstrap script.

ansible-test downloads get-pip.py from ci-files.testing.ansible.com, which the
test machines cannot reach; its error message says to save the script into its
cache instead. This one bootstraps pip with the standard library's ensurepip,
then installs the exact packages ansible-test asked for (e.g. pip==24.2) from PyPI.
"""

import subprocess
import sys

requested = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *requested])
