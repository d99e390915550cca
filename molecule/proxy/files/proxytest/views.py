"""One view that echoes what OMERO.web saw: the node, a unique id, the headers the proxy
forwarded, the host and scheme Django derives from them, the query string. A path holding
``sleep/N/`` answers after N seconds. Every answer sets a cookie and forbids caching, as
OMERO.web's own views do, and is long enough for nginx to compress."""

import re
import socket
import time
import uuid

from django.http import HttpResponse


def echo(request, rest):
    sleep = re.search(r"(?:^|/)sleep/([0-9]+)/", rest)
    if sleep:
        time.sleep(int(sleep.group(1)))
    meta = request.META
    request_id = uuid.uuid4().hex
    fields = [
        f"backend={socket.gethostname()}",
        f"uri={request.get_full_path()}",
        f"id={request_id}",
        f"cookie=[{meta.get('HTTP_COOKIE', '')}]",
        f"auth=[{meta.get('HTTP_AUTHORIZATION', '')}]",
        f"host=[{meta.get('HTTP_HOST', '')}]",
        f"proto=[{meta.get('HTTP_X_FORWARDED_PROTO', '')}]",
        f"secure=[{request.is_secure()}]",
        f"absolute=[{request.build_absolute_uri('/')}]",
        f"ae=[{meta.get('HTTP_ACCEPT_ENCODING', '')}]",
        f"query=[{meta.get('QUERY_STRING', '')}]",
    ]
    body = " ".join(fields) + "\n<!-- " + "padding " * 300 + "-->\n"
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response.set_cookie("proxytest", request_id, httponly=True)
    response["Cache-Control"] = "no-cache, no-store, must-revalidate"
    response["Vary"] = "Cookie"
    return response
