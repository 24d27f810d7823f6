#!/usr/bin/env bash
# Shows each VM's MMU worker thread (hv/vm/nx_recovery.c) does its two jobs
# while the VMs run: boots the guest suite with mmu_zap=fast, so every memslot change the
# guests make through HC_MEMSLOT obsoletes all roots, and checks that the
# suite still passes, that the worker zapped and freed obsolete roots (under
# the read side of mmu_lock: faulting vCPUs go on meanwhile), and
# that it recovered hugepage-nx's NX-split tables (nx_ratio=1
# nx_period_ms=100 in suite.cfg) but nothing with NX huge pages off. The
# statistics are printed before a VM is torn down, so without the worker
# "freed" and "recovered" stay 0.
# usage: tools/check-mmu-reclaim.sh RUNNER [NAME]   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER [NAME]}
log=$BUILD/mmu-reclaim-${2:-svm}.log
source tools/suite-checks.sh

ARGS="mmu_zap=fast" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>"$log.stderr"
status=$?

# Sum of the numbers after "KEY " on the VMs' reclaim statistics lines.
total() { grep -a "^hv: VM .*: mmu: nx current" "$log" | grep -oE "$1 [0-9]+" | awk '{ n += $NF } END { print n + 0 }'; }

invalidated=$(total "roots invalidated") zapped=$(total "zapped") freed=$(total ", freed")
[ "$invalidated" -gt 0 ]; check "memslot changes invalidated roots ($invalidated)" $?
[ "$zapped" -gt 0 ]; check "the worker zapped obsolete roots ($zapped)" $?
[ "$freed" -gt 0 ]; check "the worker freed obsolete roots while the VMs ran ($freed)" $?
# One VM's number after "KEY " on its first mmu statistics line (0 when missing).
vm_stat() { grep -a "^hv: VM $1: mmu: mapped" "$log" | grep -oE "$2 [0-9]+" | head -n 1 | awk '{ print $NF + 0 }'; }
echo "info - memslot-live: MMU lock breaks ($(vm_stat memslot-live "lock breaks"); reclaim holds only the read lock)"
recovered=$(vm_stat hugepage-nx recovered)
[ "${recovered:-0}" -gt 0 ]; check "the worker recovered hugepage-nx's split tables (${recovered:-none})" $?
off=$(vm_stat hugepage-nx-off "nx splits")
[ "${off:-1}" -eq 0 ]; check "no NX split with nx_huge_pages=off (${off:-none})" $?
[ "$status" -eq 0 ]; check "every VM passed, every page returned (status $status)" $?

checks_done check-mmu-reclaim
