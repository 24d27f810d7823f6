#!/usr/bin/env bash
# Proves the suite can fail: boots the hypervisor with
# tests/suite-fails/suite-fails.cfg (shipped with the guest images), whose
# VMs are built to miss their expectations or misbehave, and checks each
# verdict, the state dump of a stopped VM, the summary, that the VMs after
# the failures still run and pass, and the failure exit status.
# usage: tools/check-suite-fails.sh RUNNER [NAME]   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER [NAME]}
log=$BUILD/suite-fails-${2:-svm}.log
source tools/suite-checks.sh

ARGS="config=suite-fails.cfg test_bad_guest_state=bad-state test_late_vcpu_publish=late-start" LOG="$log" QUIET=1 bash -c "$runner" >/dev/null 2>"$log.stderr"
status=$?

has() { grep -a -q -F -- "$1" "$log"; }

has "hv: VM wrong-exit: FAILED: expected exit:7, got exit:0"; check "a wrong exit status fails the VM" $?
has "hv: VM wrong-death: FAILED: expected exit:0, got triple-fault"; check "an unexpected triple fault fails the VM" $?
has "hv: VM no-image: FAILED: image 'missing.elf' is not among"; check "a missing image fails the VM" $?
has "hv: VM stray-mmio: FAILED: access to guest-physical 0xfed00000, where there is neither RAM nor a device"
check "an access to unclaimed MMIO stops the VM with its address" $?
has "[stray-mmio] hv: vCPU 0 state"; check "a stopped VM's vCPU state is dumped" $?
has "hv: VM bad-state: FAILED: guest entry failed:"; check "a guest state the CPU refuses (test_bad_guest_state) stops that VM" $?
has "hv: VM halts: passed (halt"; check "a halt with nothing to wake the vCPU ends the VM as halted" $?
has "hv: VM illegal-ipi: passed (exit"
check "an IPI with an illegal vector (5) is not sent and sets ESR bit 5, as the SDM says (exit:32, the ESR)" $?
has "hv: VM loops: time limit (500 ms) reached; vCPUs: 0 running" &&
	has "hv: VM loops: FAILED: expected exit:0, got timeout"
check "a VM looping with interrupts off is stopped at its time limit, its vCPU's state named" $?
has "hv: VM late-start: passed"
check "APs whose threads blocked before vm_start named them still start on the BSP's INIT-SIPI (late-start)" $?
has "hv: VM still-runs: passed"; check "the VMs after a failure still run" $?
has "4 passed, 6 failed"; check "the summary counts the failures" $?
[ "$status" -eq 1 ]; check "the run ends with status 1 (got $status)" $?

checks_done check-suite-fails
