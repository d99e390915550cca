"""CPU time of the exporters (node exporter, mtail) and of nginx on this host, between two calls.

cpu_sample.py start FILE   record the counters
cpu_sample.py stop FILE    print the CPU each group used since start, as a share of one core
"""

import json
import os
import sys
import time

GROUPS = {"exporters": ("prometheus-node-exporter", "mtail"), "nginx": ("nginx",)}


def ticks():
    used = dict.fromkeys(GROUPS, 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                exe = os.path.basename(handle.read().split(b"\0")[0].decode() or "?")
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for group, names in GROUPS.items():
            if exe in names:
                used[group] += int(fields[11]) + int(fields[12])  # utime + stime
    return used


def main():
    action, path = sys.argv[1], sys.argv[2]
    if action == "start":
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"time": time.monotonic(), "ticks": ticks()}, handle)
        return
    with open(path, encoding="utf-8") as handle:
        start = json.load(handle)
    now, elapsed = ticks(), time.monotonic() - start["time"]
    hz = os.sysconf("SC_CLK_TCK")
    share = {g: round((now[g] - start["ticks"][g]) / hz / elapsed * 100, 3) for g in GROUPS}
    print(json.dumps({"seconds": round(elapsed, 1), "percent_of_one_core": share}))


main()
