# Running the hypervisor and its boot tests. The scripts in tools/ do the work;
# these targets only build first and pass the settings (ARGS, ACCEL, BOOT).

.PHONY: run run-bochs usb debug check-boot-svm check-boot-vmx check-svm check-vmx

run: all
	BUILD=$(BUILD) ARGS='$(ARGS)' ACCEL=$(ACCEL) tools/run-qemu.sh

run-bochs: all
	BUILD=$(BUILD) ARGS='$(ARGS)' BOOT=$(BOOT) tools/run-bochs.sh

# A raw GPT disk image with the ESP, for a USB stick (bare metal).
usb: all
	tools/mkusb.sh $(BUILD)/hv-usb.img $(BUILD)/BOOTX64.EFI '$(ARGS)' $(BUILD)/guests/out

debug: all
	BUILD=$(BUILD) ARGS='$(ARGS)' tools/debug-qemu.sh

check-boot-svm: all
	BUILD=$(BUILD) tools/check-boot.sh svm

check-boot-vmx: all
	BUILD=$(BUILD) tools/check-boot.sh vmx

# The SVM and VMX guest suites add their own prerequisites to these.
check-svm: check-boot-svm
check-vmx: check-boot-vmx
check: check-svm check-vmx

# The vendor seam: no SVM detail outside svm/, no VMX detail outside vmx/.
.PHONY: check-svm-split check-vmx-split
check-svm: check-svm-split
check-vmx: check-vmx-split
check-svm-split check-vmx-split: check-%-split:
	tools/check-vendor-split.sh $*
