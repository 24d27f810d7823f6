#!/usr/bin/env bash
# The attack suite (tests/attacks/attacks.cfg, shipped with the guest
# images): guests that try to reach beyond their VM. Boots it with smp=off,
# so every VM shares the boot CPU (two at once: they preempt each other),
# and checks each VM's verdict: contained attacks pass, stopped ones fail
# with their reason, the VMs after them pass, and the run ends with status 1.
# usage: tools/check-attacks.sh RUNNER [NAME]   (RUNNER as for tools/run-suite.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER [NAME]}
log=$BUILD/attacks-${2:-svm}.log
source tools/suite-checks.sh

ARGS="config=attacks.cfg smp=off parallel=2 console_rate=50 tdp_table_cap=64" LOG="$log" QUIET=1 TIMEOUT=${TIMEOUT:-600} bash -c "$runner" >/dev/null 2>"$log.stderr"
status=$?

has() { grep -a -q -F -- "$1" "$log"; }

has "hv: VM xsetbv: passed"; check "every invalid XCR0 is a #GP in the guest, never the host's (xsetbv)" $?
has "hv: VM intercepts: passed"; check "INVD, WBINVD, RDPMC, INVLPGA, #DB and #AC are intercepted and handled (intercepts)" $?
has "hv: VM cpu-state-a: passed" && has "hv: VM cpu-state-b: passed"
check "two VMs on one CPU keep their own XMM (and YMM where CPUID shows AVX), MXCSR, x87 CW and DR0-3 (cpu-state-a/b)" $?
has "hv: VM cpu-state-next: passed"; check "a new VM starts from power-on register state, nothing of the last (cpu-state-next)" $?
flood=$(grep -a '^\[console-flood\]' "$log" | tr -d '\r')
has "hv: VM console-flood: passed" && has "console line(s) not printed (console_rate=50 lines/s)" &&
	[ "$(grep -c '^\[console-flood\] $' <<<"$flood")" -le 1000 ] &&
	! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f-\xff]' <<<"$flood"
check "a console flood is cut to console_rate and no control byte reaches the terminal (console-flood)" $?
# Each #DB must exit (emulators answer interrupts inside the loop anyway; the
# exit count shows the intercept: some 400 without it, thousands with it).
db_exits=$(grep -a -o 'hv: VM db-loop: time limit (2000 ms) reached; vCPUs: 0 running ([0-9]* exits)' "$log" |
	grep -o '([0-9]* exits' | tr -dc '0-9')
has "hv: VM db-loop: passed (timeout" && { [ "${db_exits:-0}" -ge 2000 ] || has "[db-loop] # the #DB handler ran"; }
check "a #DB that re-raises itself on delivery exits each time and is stopped at its time limit (db-loop: ${db_exits:-0} exits)" $?
has "hv: VM idt-mmio: FAILED: delivering an event touched 0x400000d0, which is not RAM (IDT, GDT or stack in MMIO)"
check "an MMIO fault during event delivery stops the VM instead of emulating the MOV at RIP (idt-mmio)" $?
has "hv: VM tdp-flood: FAILED: guest-physical fault at 0x" && has "its second-level page tables exceed tdp_table_cap"
check "second-level tables beyond tdp_table_cap stop the VM (tdp-flood)" $?
has "hv: VM still-runs: passed"; check "the VMs after a stopped one still run" $?
has "8 passed, 2 failed"; check "the summary counts the stopped VMs" $?
[ "$status" -eq 1 ]; check "the run ends with status 1 (got $status)" $?

checks_done check-attacks
