#!/usr/bin/env bash
# Measures what one guest exit costs end to end (exit, the core's port
# dispatch, re-entry): boots the hypervisor twice, once with a VM doing
# 200000 port writes and once with the same VM doing one, and divides the
# wall-time difference by the extra exits. Prints `bench: NAME-exit-roundtrip X us`.
# usage: tools/bench-exits.sh RUNNER NAME   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER NAME} name=${2:?usage: $0 RUNNER NAME}
exits=200000

run() { # run CONFIG: prints the wall time in ms; fails unless the VM passed
	local log=$BUILD/bench-$name-$1.log start end
	start=$(date +%s%N)
	ARGS="config=$1.cfg" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>&1 ||
		{ echo "bench-exits: the $1 run failed ($log)" >&2; return 1; }
	end=$(date +%s%N)
	echo $(( (end - start) / 1000000 ))
}

idle=$(run bench-idle) && busy=$(run bench-exits) || exit 1
us=$(awk -v b="$busy" -v i="$idle" -v n="$exits" 'BEGIN { printf "%.1f", (b - i) * 1000 / n }')
echo "bench-exits: $exits exits took $((busy - idle)) ms more than one exit (runs: $busy ms, $idle ms)"
echo "bench: $name-exit-roundtrip $us us"
