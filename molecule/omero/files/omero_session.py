"""Open an OMERO session with the password from $OMERO_PASSWORD (never argv).

Prints the session key, detached so that `omero login -k KEY` can join it.
Usage: omero_session.py HOST USER. The `omero login` prompt needs a TTY.
"""

from __future__ import annotations

import os
import sys

import omero


def main() -> int:
    host, user = sys.argv[1], sys.argv[2]
    client = omero.client(host)
    try:
        session = client.createSession(user, os.environ["OMERO_PASSWORD"])
        session.detachOnDestroy()
        print(client.getSessionId())
    finally:
        client.closeSession()
    return 0


if __name__ == "__main__":
    sys.exit(main())
