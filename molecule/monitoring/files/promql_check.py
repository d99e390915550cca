"""Evaluate every PromQL expression of the loaded alert rules (Prometheus' /api/v1/rules) and of
the dashboards given as arguments against the live Prometheus: each must evaluate without error,
and every metric it names must have at least one series (catches typos and renamed metrics).

    promql_check.py URL [--absent-ok METRIC ...] [--dashboard DASHBOARD.json ...]

Prints a JSON report; exits 1 when anything fails.
"""

import argparse
import json
import re
import sys
import urllib.parse
import urllib.request

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}


def api(base, path, **params):
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else f"{base}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def metric_names(expr):
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        rest = text[match.end() :].lstrip()
        if word in KEYWORDS or rest.startswith("("):
            continue
        if re.fullmatch(r"[0-9.e+-]+", word) or (match.start() > 0 and text[match.start() - 1].isdigit()):
            continue
        names.add(word)
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--absent-ok", action="append", default=[])
    parser.add_argument("--dashboard", dest="dashboards", action="append", default=[])
    args = parser.parse_args()
    exprs = []
    for group in api(args.url, "/api/v1/rules")["data"]["groups"]:
        for rule in group["rules"]:
            exprs.append((f"rule {rule['name']}", rule["query"]))
    for path in args.dashboards:
        with open(path, encoding="utf-8") as handle:
            dashboard = json.load(handle)
        for panel in dashboard.get("panels", []):
            for target in panel.get("targets", []):
                exprs.append((f"{path}: {panel['title']}", target["expr"]))
    failures, checked, metrics = [], [], set()
    for where, expr in exprs:
        try:
            result = api(args.url, "/api/v1/query", query=expr)
            if result.get("status") != "success":
                failures.append(f"{where}: {result}")
        except Exception as exc:  # report, keep checking
            failures.append(f"{where}: {exc}")
        metrics |= metric_names(expr)
        checked.append(where)
    missing = []
    for name in sorted(metrics):
        found = api(args.url, "/api/v1/query", query=f'count({{__name__="{name}"}})')["data"]["result"]
        if not found and name not in args.absent_ok:
            missing.append(name)
    report = {"expressions": len(checked), "metrics": sorted(metrics), "missing": missing, "failures": failures}
    print(json.dumps(report, indent=1))
    return 1 if failures or missing or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
