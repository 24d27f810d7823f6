#!/usr/bin/env bash
# Interrupt figures measured by a guest (guests/bench-irq.c) with the TSC:
# a fixed IPI's round trip between two vCPUs, a TSC deadline to its
# handler, self IPIs taken per second. Boots the hypervisor once with
# config=bench-irq.cfg and prints each as `bench: NAME-FIGURE VALUE UNIT`.
# usage: tools/bench-irq.sh RUNNER NAME   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER NAME} name=${2:?usage: $0 RUNNER NAME}
log=$BUILD/bench-$name-irq.log

ARGS="config=bench-irq.cfg" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>&1 ||
	{ echo "bench-irq: the run failed ($log)" >&2; exit 1; }
figures=$(grep -a -oE '^\[bench-irq\] bench: [a-z-]+ [0-9.]+ [a-z/-]+' "$log" | sed "s/^\[bench-irq\] bench: /bench: $name-/")
[ "$(wc -l <<<"$figures")" -eq 3 ] || { echo "bench-irq: expected 3 figures in $log" >&2; exit 1; }
echo "$figures"
