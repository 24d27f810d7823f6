#!/usr/bin/env bash
# Shows the MMU worker reclaims after fast invalidations (hv/nx_recovery.c):
# boots the guest suite with mmu_zap=fast, so every memslot change the
# guests make through HC_MEMSLOT obsoletes all roots, and checks that the
# suite still passes and that the worker zapped and freed obsolete roots
# while the VMs ran (the statistics are printed before the VM is torn down,
# so without the worker "freed" stays 0).
# usage: tools/check-mmu-reclaim.sh RUNNER [NAME]   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER [NAME]}
log=$BUILD/mmu-reclaim-${2:-svm}.log
passed=0 failed=0

ARGS="mmu_zap=fast" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>&1
status=$?

check() { # check NAME CONDITION-STATUS
	if [ "$2" -eq 0 ]; then echo "ok   - $1"; passed=$((passed + 1));
	else echo "FAIL - $1"; failed=$((failed + 1)); fi
}
# Sum of the numbers after "KEY " on the VMs' reclaim statistics lines.
total() { grep -a "^hv: VM .*: mmu: nx current" "$log" | grep -oE "$1 [0-9]+" | awk '{ n += $NF } END { print n + 0 }'; }

invalidated=$(total "roots invalidated") freed=$(total ", freed")
[ "$invalidated" -gt 0 ]; check "memslot changes invalidated roots ($invalidated)" $?
[ "$freed" -gt 0 ]; check "the worker freed obsolete roots while the VMs ran ($freed)" $?
[ "$status" -eq 0 ]; check "every VM passed, every page returned (status $status)" $?

if [ $failed -ne 0 ]; then
	echo "check-mmu-reclaim: console tail ($log):"
	tail -n 20 "$log" | tr -d '\r' | sed 's/^/  | /'
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
