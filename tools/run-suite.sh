#!/usr/bin/env bash
# Runs the guest suite once: boots the hypervisor with a runner script, then
# reads what it printed. Shows each VM's result line, checks that the
# hypervisor's own summary `N passed, N failed` is there and agrees with its
# exit status, and ends with that summary (exit status 0 only if all passed).
# usage: tools/run-suite.sh RUNNER [NAME]
#   RUNNER: tools/run-qemu.sh (SVM under QEMU TCG) or e.g. "BOOT=mb2 tools/run-bochs.sh"
#   NAME:   names the console log, $BUILD/suite-NAME.log (default: suite)
# Environment: BUILD (build), ARGS (extra hypervisor command line), TIMEOUT.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER [NAME]}
name=${2:-suite}
log=$BUILD/suite-$name.log
mkdir -p "$BUILD"

start=$(date +%s)
out=$(LOG="$log" QUIET=1 bash -c "$runner" 2>&1)
status=$?
secs=$(( $(date +%s) - start ))

grep -a -E '^hv: VM [^ ]+: (passed|FAILED)' "$log" | tr -d '\r' | sed 's/^hv: VM /  /'
summary=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tr -d '\r' | tail -n 1)
if [ -z "$summary" ]; then
	echo "run-suite: no summary from the hypervisor (runner status $status, ${secs}s); console tail ($log):"
	[ -n "$out" ] && echo "$out" | sed 's/^/  /'
	tail -n 30 "$log" | tr -d '\r' | sed 's/^/  | /'
	echo "0 passed, 1 failed"
	exit 1
fi
passed=$(echo "$summary" | sed -E 's/^([0-9]+) passed.*/\1/')
failed=$(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
echo "run-suite: $name took ${secs}s"
if [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
	echo "run-suite: the hypervisor reported no failure but exited with status $status"
	[ -n "$out" ] && echo "$out" | sed 's/^/  /'
	echo "$passed passed, 1 failed"
	exit 1
fi
echo "$summary"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
