"""Uncached stand-in for OMERO.web in the benchmark: a threaded Python HTTP server (like a
Python WSGI app) answering every path with the thumbnail bytes, Set-Cookie and no-cache."""

import http.server
import sys

BODY = open(sys.argv[2], "rb").read()  # noqa: SIM115 - read once at start


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Set-Cookie", "sessionid=bench; Path=/; HttpOnly")
        self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
