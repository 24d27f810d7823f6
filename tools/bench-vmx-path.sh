#!/usr/bin/env bash
# The hypervisor's software path per guest exit under Bochs, where the run is
# deterministic (`clock: sync=none`: the TSC advances with executed
# instructions, so the number is the same on every run and machine). Boots
# the Multiboot2 build with the 200000-exit bench VM; the VT-x backend sums
# the TSC from each VM exit to the next entry and logs the mean (debug level).
# Prints `bench: vmx-exit-host-path N tsc-cycles`.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
log=$BUILD/bench-vmx-path.log

ARGS="config=bench-exits.cfg loglevel=debug" BOOT=mb2 LOG="$log" QUIET=1 tools/run-bochs.sh >/dev/null 2>&1 ||
	{ echo "bench-path: the bench run failed ($log)" >&2; exit 1; }
line=$(grep -a -E 'vmx: vCPU 0: [0-9]+ exits handled, [0-9]+ TSC cycles each' "$log" | tail -n 1)
[ -n "$line" ] || { echo "bench-path: no per-exit figure in $log" >&2; exit 1; }
exits=$(echo "$line" | sed -E 's/.*vCPU 0: ([0-9]+) exits.*/\1/')
cycles=$(echo "$line" | sed -E 's/.* ([0-9]+) TSC cycles each.*/\1/')
echo "bench-path: $exits exits, exit to re-entry through the core's port dispatch"
echo "bench: vmx-exit-host-path $cycles tsc-cycles"
