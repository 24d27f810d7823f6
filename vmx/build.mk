# vmx/: the Intel VT-x backend (compiled into the kernel by the top Makefile).
# check-vmx runs the guest suite under Bochs through GRUB and through OVMF,
# plus the VM-entry failure knob (vmx/check-suite.sh), and the suite built to
# fail (tools/check-suite-fails.sh), proving the verdicts can go red here too.
BOCHS_MB2 := BOOT=mb2 tools/run-bochs.sh

.PHONY: check-vmx-suite check-vmx-fails bench-vmx
check-vmx: check-vmx-suite check-vmx-fails
check-vmx-suite: all
	BUILD=$(BUILD) vmx/check-suite.sh
check-vmx-fails: all
	BUILD=$(BUILD) tools/check-suite-fails.sh "$(BOCHS_MB2)" vmx

# The event re-injection VM (tests/reinject/) travels with the guest images.
REINJECT_FILES := $(BUILD)/guests/out/reinject.bin $(BUILD)/guests/out/reinject.cfg
all: $(REINJECT_FILES)
$(BUILD)/guests/out/reinject.bin: tests/reinject/reinject.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
$(BUILD)/guests/out/reinject.cfg: tests/reinject/reinject.cfg
	@mkdir -p $(dir $@)
	cp $< $@

# bench-vmx: the cost of one guest exit under Bochs, in wall time
# (tools/bench-exits.sh) and as the hypervisor's deterministic path length
# (vmx/bench-path.sh); the bench images come from svm/build.mk.
bench: bench-vmx
bench-vmx: all
	BUILD=$(BUILD) tools/bench-exits.sh "$(BOCHS_MB2)" vmx
	BUILD=$(BUILD) vmx/bench-path.sh
	BUILD=$(BUILD) tools/bench-smp.sh "BOOT=mb2 SMP=2 tools/run-bochs.sh" vmx
	BUILD=$(BUILD) tools/bench-irq.sh "BOOT=mb2 SMP=2 tools/run-bochs.sh" vmx

# The vendor split: no VMCS field, VMX exit reason or VMX instruction outside vmx/.
.PHONY: check-vmx-split
check-vmx: check-vmx-split
check-vmx-split:
	@if grep -rn -E 'VMCS_|EXIT_REASON_|vmread|vmwrite|vmlaunch|vmresume' hv mm boot guests include svm tools; then \
		echo "check-vmx-split: VMX details outside vmx/ (above)"; echo "0 passed, 1 failed"; exit 1; \
	else echo "ok   - no VMX field, exit reason or instruction outside vmx/"; echo "1 passed, 0 failed"; fi
