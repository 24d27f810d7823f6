# The guest suite under Bochs with the VT-x backend (vmx/check-suite.sh):
# through GRUB and through OVMF, plus the VM-entry failure knob.
.PHONY: check-vmx-suite
check-vmx-suite: all
	BUILD=$(BUILD) vmx/check-suite.sh
check-vmx: check-vmx-suite
