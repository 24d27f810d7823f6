#!/usr/bin/env bash
# Proves the suite can fail: boots the hypervisor with tests/suite-fails.cfg
# (shipped with the guest images as suite-fails.cfg), whose VMs are built to
# miss their expectations, and checks each verdict, the summary, that a VM
# after the failures still runs and passes, and the failure exit status.
# usage: tools/check-suite-fails.sh RUNNER [NAME]   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER [NAME]}
log=$BUILD/suite-fails-${2:-svm}.log
passed=0 failed=0

ARGS="config=suite-fails.cfg" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>&1
status=$?

check() { # check NAME CONDITION-STATUS
	if [ "$2" -eq 0 ]; then echo "ok   - $1"; passed=$((passed + 1));
	else echo "FAIL - $1"; failed=$((failed + 1)); fi
}
has() { grep -a -q -F -- "$1" "$log"; }

has "hv: VM wrong-exit: FAILED: expected exit:7, got exit:0"; check "a wrong exit status fails the VM" $?
has "hv: VM wrong-death: FAILED: expected exit:0, got triple-fault"; check "an unexpected triple fault fails the VM" $?
has "hv: VM no-image: FAILED: image 'missing.elf' is not among"; check "a missing image fails the VM" $?
has "hv: VM still-runs: passed"; check "the VMs after a failure still run" $?
has "1 passed, 3 failed"; check "the summary counts the failures" $?
[ "$status" -eq 1 ]; check "the run ends with status 1 (got $status)" $?

if [ $failed -ne 0 ]; then
	echo "check-suite-fails: console tail ($log):"
	tail -n 20 "$log" | tr -d '\r' | sed 's/^/  | /'
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
