"""Look at OMERO.web's Django settings and sessions from inside its venv (test only).

Run as the OMERO.web user with OMERODIR set:
  secret    print the sha256 of the SECRET_KEY Django runs with
  sessions  make one session that expires after 1 s and one that does not, wait 2 s,
            print both session files as JSON {"expired": path, "live": path}
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import timedelta
from importlib import import_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omeroweb.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402


def secret():
    print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())


def sessions():
    store = import_module(settings.SESSION_ENGINE).SessionStore
    expired = store()
    expired["probe"] = "expired"
    # A date, not a number of seconds: clearsessions judges file sessions by their expiry date.
    expired.set_expiry(timezone.now() + timedelta(seconds=1))
    expired.save()
    live = store()
    live["probe"] = "live"
    live.save()
    time.sleep(2)
    print(json.dumps({"expired": expired._key_to_file(), "live": live._key_to_file()}))


{"secret": secret, "sessions": sessions}[sys.argv[1]]()
