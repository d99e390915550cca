"""Switch the proxy's nginx to one variant of the configuration the proxy role wrote
(/etc/nginx/nginx.conf.role), test it and reload.

usage: variant.py role|nofilter|nokeepalive
  role        - the role's configuration as written
  nofilter    - without the request filter: no 403 on credential arguments, the plain request
                line and Referer in the access log (what the filter costs)
  nokeepalive - without upstream keepalive (HTTP/1.0 to the nodes, a new connection each time)
Every variant adds a stub_status on 127.0.0.1:8089 for the nginx exporter.
"""

import re
import subprocess
import sys
import time

ROLE = "/etc/nginx/nginx.conf.role"
LIVE = "/etc/nginx/nginx.conf"
STUB = (
    "http {\n    server {\n        listen 127.0.0.1:8089;\n        access_log off;\n"
    "        location = /stub_status { stub_status; }\n    }\n"
)

variant = sys.argv[1]
conf = open(ROLE).read()  # noqa: SIM115
conf = conf.replace("http {\n", STUB, 1)
if variant == "nofilter":
    conf, refusals = re.subn(r"\n *if \(\$omero_credentials\) \{\n[^\n]*\n *\}", "", conf)
    conf = conf.replace('"$omero_log_request"', '"$request"')
    conf = conf.replace('"$omero_log_referer"', '"$http_referer"')
    conf = re.sub(r"\n *proxy_set_header Referer [^\n]*;", "", conf)
    assert refusals >= 1 and "$omero_log_" not in conf.split("log_format", 1)[1].split(";", 1)[0]
elif variant == "nokeepalive":
    conf, pools = re.subn(r"\n *keepalive [0-9]+;", "", conf)
    conf = re.sub(r"\n *proxy_http_version 1.1;", "", conf)
    conf = re.sub(r'\n *proxy_set_header Connection "";', "", conf)
    assert pools >= 1
elif variant != "role":
    sys.exit(f"unknown variant {variant}")
with open(LIVE, "w") as live:
    live.write(conf)
subprocess.run(["nginx", "-t", "-q"], check=True)
subprocess.run(["nginx", "-s", "reload"], check=True, capture_output=True)
time.sleep(2)  # the old workers finish their connections
