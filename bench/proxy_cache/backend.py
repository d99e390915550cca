"""Uncached stand-in for OMERO.web in the benchmark: a threaded Python HTTP server answering
every path with the thumbnail bytes, Set-Cookie and no-cache.

usage: backend.py PORT BODY_FILE split|single
  split  - what the first benchmark ran: the headers and the body in two writes, Nagle on
           (http.server's default); a client that delays its ACKs stalls the second write.
  single - headers and body in one write, TCP_NODELAY (what gunicorn does).
"""

import http.server
import socket
import sys

BODY = open(sys.argv[2], "rb").read()  # noqa: SIM115 - read once at start
MODE = sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        if MODE == "single":
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Set-Cookie", "sessionid=bench; Path=/; HttpOnly")
        self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        if MODE == "single":
            self._headers_buffer.append(b"\r\n")
            self._headers_buffer.append(BODY)
            self.flush_headers()
        else:
            self.end_headers()
            self.wfile.write(BODY)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("", int(sys.argv[1])), Handler).serve_forever()
