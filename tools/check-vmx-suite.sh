#!/usr/bin/env bash
# make check-vmx: the guest suite under Bochs (Intel VT-x with EPT) through
# both boot paths, GRUB (Multiboot2) and OVMF (UEFI), and the VM-entry
# failure knob. One verdict line per check, then `N passed, N failed`.
#   1. every VM of guests/suite.cfg passes, through GRUB, with 2 CPUs, and
#      the run shows what issue 6 asks (tools/check-suite-facts.sh: VMs at
#      once, preemption of a spinning VM, the MMU statistics);
#   2. the same through OVMF;
#   3. both runs list the same VMs with the same verdicts;
#   4. test_bad_guest_state=hello: that VM stops with a VM-entry failure that
#      names the broken field, and every other VM still runs and passes;
#   5. tests/reinject: an event whose delivery faults in the EPT is delivered
#      once (IDT-vectoring re-injection), for an injected #GP and an INT n.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CFG=guests/suite.cfg
KNOB_VM=hello
passed=0 failed=0

verdict() { # ok|fail NAME [WHY]
	if [ "$1" = ok ]; then
		echo "ok   - $2"
		passed=$((passed + 1))
	else
		echo "FAIL - $2: $3"
		failed=$((failed + 1))
	fi
}

# The VMs a run reported, one "name verdict" line each, sorted (VMs run concurrently: the order of ends varies).
vm_lines() { grep -a -o -E '^hv: VM [^ ]+: (passed|FAILED)' "$1" | sed -E 's/^hv: VM ([^ ]+): /\1 /' | sort; }

want=$(grep -c -E '^[[:space:]]*name=' "$CFG")

# suite BOOT NAME [ARGS]: one Bochs run of the whole suite; sets $summary and $log.
suite() {
	log=$BUILD/suite-$2.log
	ARGS="${3:-}" tools/run-suite.sh "BOOT=$1 SMP=2 tools/run-bochs.sh" "$2" | sed 's/^/    /'
	summary=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
}

for boot in mb2 efi; do
	suite $boot vmx-$boot
	got=$(vm_lines "$log" | wc -l)
	if [ "$summary" = "$want passed, 0 failed" ] && [ "$got" -eq "$want" ]; then
		verdict ok "suite through $boot: $summary"
	else
		verdict fail "suite through $boot" "want '$want passed, 0 failed' over $want VMs, got '${summary:-no summary}' over $got"
	fi
	if tools/check-suite-facts.sh "$log" | sed 's/^/    /'; then
		verdict ok "suite through $boot: VMs at once, preemption, MMU statistics"
	else
		verdict fail "suite through $boot" "tools/check-suite-facts.sh found a fact missing (above)"
	fi
done

if [ -n "$(vm_lines "$BUILD/suite-vmx-mb2.log")" ] &&
	diff <(vm_lines "$BUILD/suite-vmx-mb2.log") <(vm_lines "$BUILD/suite-vmx-efi.log") >/dev/null; then
	verdict ok "GRUB and OVMF runs: same VMs, same verdicts"
else
	verdict fail "GRUB and OVMF runs differ" "$(diff <(vm_lines "$BUILD/suite-vmx-mb2.log") <(vm_lines "$BUILD/suite-vmx-efi.log") | tr '\n' ' ')"
fi

suite mb2 vmx-bad-state "test_bad_guest_state=$KNOB_VM"
others=$(vm_lines "$log" | grep -v "^$KNOB_VM " | grep -c ' passed$')
if grep -a -q -E "invalid guest state: guest TR: type must be a busy TSS" "$log" &&
	vm_lines "$log" | grep -q "^$KNOB_VM FAILED$" &&
	[ "$summary" = "$((want - 1)) passed, 1 failed" ] && [ "$others" -eq $((want - 1)) ]; then
	verdict ok "test_bad_guest_state=$KNOB_VM: entry failure named, that VM stopped, the others passed"
else
	verdict fail "test_bad_guest_state=$KNOB_VM" "want the TR entry failure for $KNOB_VM and '$((want - 1)) passed, 1 failed', got '${summary:-no summary}'"
fi

suite mb2 vmx-reinject "config=reinject.cfg"
if [ "$summary" = "1 passed, 0 failed" ] && [ "$(grep -a -c '^\[reinject\] ok ' "$log")" -eq 2 ]; then
	verdict ok "events whose delivery faults are re-injected once (#GP, INT n)"
else
	verdict fail "event re-injection" "want reinject's 2 TAP lines ok and '1 passed, 0 failed', got '${summary:-no summary}'"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
