# vmx/: the Intel VT-x backend (compiled into the kernel by the top Makefile).
# check-vmx runs the guest suite under Bochs through GRUB and through OVMF,
# plus the VM-entry failure knob (tools/check-vmx-suite.sh), and the suite built to
# fail (tools/check-suite-fails.sh), proving the verdicts can go red here too.
BOCHS_MB2 := BOOT=mb2 tools/run-bochs.sh

.PHONY: check-vmx-suite check-vmx-fails bench-vmx
check-vmx: check-vmx-suite check-vmx-fails
check-vmx-suite: all
	BUILD=$(BUILD) tools/check-vmx-suite.sh
check-vmx-fails: all
	BUILD=$(BUILD) tools/check-suite-fails.sh "$(BOCHS_MB2)" vmx

# bench-vmx: the cost of one guest exit under Bochs, in wall time
# (tools/bench-exits.sh) and as the hypervisor's deterministic path length
# (tools/bench-vmx-path.sh); the bench images come from tests/images.mk.
bench: bench-vmx
bench-vmx: all
	BUILD=$(BUILD) tools/bench-exits.sh "$(BOCHS_MB2)" vmx
	BUILD=$(BUILD) tools/bench-vmx-path.sh
	BUILD=$(BUILD) tools/bench-smp.sh "BOOT=mb2 SMP=2 tools/run-bochs.sh" vmx
	BUILD=$(BUILD) tools/bench-irq.sh "BOOT=mb2 SMP=2 tools/run-bochs.sh" vmx
