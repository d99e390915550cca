#!/bin/sh
# job.sh TARGET: the benchmark's per-target command on a node. Sleeps the
# target's duration from durations.txt and prints what `omero render test`
# prints on success.
d=$(grep -m1 "^$1 " /bench/durations.txt | cut -d' ' -f2)
sleep "${d:?unknown target $1}"
echo "ok: ${1#*:} $d "
