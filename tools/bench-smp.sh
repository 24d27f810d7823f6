#!/usr/bin/env bash
# Measures what running VMs side by side gains: boots the hypervisor twice
# with the same four exit-bound VMs (tests/bench/bench-smp.cfg), once with
# parallel=1 (one VM at a time) and once with the default (one per CPU), and
# reads the suite's duration the hypervisor prints (its own clock: under
# Bochs with sync=none an instruction count, the same on every run).
# Prints `bench: NAME-suite-one-at-a-time X ms`, `bench: NAME-suite-side-by-side
# Y ms` and `bench: NAME-smp-speedup R x`.
# usage: tools/bench-smp.sh RUNNER NAME   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER NAME} name=${2:?usage: $0 RUNNER NAME}

run() { # run PARALLEL: prints the suite's duration in ms; fails unless all passed
	local log=$BUILD/bench-smp-$name-$1.log ms
	ARGS="config=bench-smp.cfg parallel=$1" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>&1 ||
		{ echo "bench-smp: the parallel=$1 run failed ($log)" >&2; return 1; }
	ms=$(grep -a -o -E 'the suite took [0-9]+ ms' "$log" | grep -o -E '[0-9]+' | head -n 1)
	[ -n "$ms" ] || { echo "bench-smp: no suite duration in $log" >&2; return 1; }
	echo "$ms $(grep -a -o -E 'at most [0-9]+ VMs? ran at once' "$log" | grep -o -E '[0-9]+')"
}

read -r one _ < <(run 1) && read -r side most < <(run 0) || exit 1
[ -n "${one:-}" ] && [ -n "${side:-}" ] || exit 1
echo "bench-smp: 4 VMs of 20000 exits: one at a time $one ms; side by side ($most at once) $side ms"
echo "bench: $name-suite-one-at-a-time $one ms"
echo "bench: $name-suite-side-by-side $side ms"
echo "bench: $name-smp-speedup $(awk -v a="$one" -v b="$side" 'BEGIN { printf "%.2f", a / (b ? b : 1) }') x"
