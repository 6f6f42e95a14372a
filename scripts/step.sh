#!/usr/bin/env bash
# Run one set-up step and print a progress line with its time: step.sh NAME COMMAND [ARG...]
set -uo pipefail
name=$1; shift
start=$(date +%s%N)
echo "==> $name …"
"$@"
rc=$?
seconds=$(( ($(date +%s%N) - start) / 100000000 ))
status=$([ $rc -eq 0 ] && echo "done" || echo "FAILED (exit $rc)")
printf '==> %s %s in %d.%d s\n' "$name" "$status" $((seconds / 10)) $((seconds % 10))
exit $rc
