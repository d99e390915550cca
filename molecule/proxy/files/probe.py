"""HTTP probe for the proxy scenario: runs curl for each request, prints one JSON document.

usage: probe '[{"url": "http://proxy-proxy/x", "method": "HEAD", "headers": {"Cookie": "a=b"},
                "curl": ["--tlsv1.2"], "sleep": 2}, ...]'
Each result: url, rc (curl's exit code), status, http_version (HTTP/1.1, HTTP/2), headers
(lower-case names; repeated ones joined by ", "), gzip (the body came gzip-compressed), body
(decompressed when it was gzip; curl never decodes it itself).
A request with "repeat": N sends N GETs of its url, "interval" seconds apart, and stops early
after "duration" seconds or when the file "stop_file" exists; its result counts the answers by
status: {"url", "count", "statuses": {"200": n, ...}, "errors": n}.
"""

import gzip
import json
import os
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
    proc = subprocess.run(argv, capture_output=True, check=False)
    headers, status, version = {}, None, None
    raw_headers = proc.stderr if request.get("method") != "HEAD" else proc.stdout
    for line in raw_headers.decode("latin-1").splitlines():
        if line.startswith("HTTP/"):
            version, status = line.split()[0], int(line.split()[1])
            headers = {}
        elif ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            headers[name] = (headers[name] + ", " if name in headers else "") + value.strip()
    raw_body = b"" if request.get("method") == "HEAD" else proc.stdout
    compressed = raw_body[:2] == b"\x1f\x8b"
    body = gzip.decompress(raw_body) if compressed else raw_body
    return {
        "url": request["url"],
        "rc": proc.returncode,
        "status": status,
        "http_version": version,
        "headers": headers,
        "gzip": compressed,
        "body": body.decode("utf-8", "replace"),
        "error": proc.stderr.decode("utf-8", "replace").strip() if proc.returncode else "",
    }


def repeat(request):
    statuses, errors, count = {}, 0, 0
    deadline = time.monotonic() + request.get("duration", 120)
    stop_file = request.get("stop_file", "")
    while count < request["repeat"] and time.monotonic() < deadline:
        if stop_file and os.path.exists(stop_file):
            break
        result = probe({"url": request["url"], "timeout": request.get("timeout", 10)})
        count += 1
        key = str(result["status"])
        statuses[key] = statuses.get(key, 0) + 1
        errors += result["rc"] != 0
        time.sleep(request.get("interval", 0.1))
    return {"url": request["url"], "count": count, "statuses": statuses, "errors": errors}


print(json.dumps([repeat(r) if r.get("repeat") else probe(r) for r in json.loads(sys.argv[1])]))
