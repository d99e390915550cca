"""HTTP probe for the proxy scenario: runs curl for each request, prints one JSON document.

usage: probe '[{"url": "http://proxy-proxy/x", "method": "HEAD", "headers": {"Cookie": "a=b"},
                "curl": ["--tlsv1.2"], "sleep": 2}, ...]'
Each result: url, rc (curl's exit code), status, http_version (HTTP/1.1, HTTP/2), headers
(lower-case names; repeated ones joined by ", "), body.
"""

import json
import subprocess
import sys
import time


def probe(request):
    if request.get("sleep"):
        time.sleep(request["sleep"])
    argv = ["curl", "-sS", "-k", "--max-time", str(request.get("timeout", 10)), "-D", "/dev/stderr"]
    if request.get("method") == "HEAD":
        argv.append("-I")
    elif request.get("method"):
        argv += ["-X", request["method"]]
    for name, value in request.get("headers", {}).items():
        argv += ["-H", f"{name}: {value}"]
    argv += request.get("curl", [])
    argv.append(request["url"])
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    headers, status, version = {}, None, None
    raw_headers = proc.stderr if request.get("method") != "HEAD" else proc.stdout
    for line in raw_headers.splitlines():
        if line.startswith("HTTP/"):
            version, status = line.split()[0], int(line.split()[1])
            headers = {}
        elif ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            headers[name] = (headers[name] + ", " if name in headers else "") + value.strip()
    body = "" if request.get("method") == "HEAD" else proc.stdout
    return {
        "url": request["url"],
        "rc": proc.returncode,
        "status": status,
        "http_version": version,
        "headers": headers,
        "body": body,
        "error": proc.stderr.strip() if proc.returncode else "",
    }


print(json.dumps([probe(r) for r in json.loads(sys.argv[1])]))
