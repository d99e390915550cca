"""A webhook receiver for Alertmanager: every POST body is appended, as one JSON line, to the file
named by the first argument. Listens on the port given as the second argument."""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

RECORD, PORT = sys.argv[1], int(sys.argv[2])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"unparsed": body.decode("utf-8", "replace")}
        with open(RECORD, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"path": self.path, "payload": payload}) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()  # noqa: S104 - the test network only
