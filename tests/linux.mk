# The Linux guest: Debian's kernel and a BusyBox initramfs, built from Debian
# packages by tools/linux-images.sh into $(BUILD)/linux (never committed).
# `make all` does not fetch them (it stays offline); these targets do.

LINUX_IMAGES := $(BUILD)/linux/bzImage $(BUILD)/linux/initramfs.cpio.gz

# One run of the script makes both (grouped target).
$(LINUX_IMAGES) &: tools/linux-images.sh guests/linux/init
	BUILD=$(BUILD) tools/linux-images.sh

.PHONY: linux-images run-linux check-linux check-linux-vmx check-linux-vmx-short check-linux-plain
linux-images: $(LINUX_IMAGES)

# An interactive BusyBox shell in a Linux VM under the hypervisor (QEMU, SVM).
run-linux: all $(LINUX_IMAGES)
	BUILD=$(BUILD) tools/run-linux.sh shell

# /init's checks from inside Linux, as TAP, under the hypervisor (QEMU, SVM):
# part of `make check` (it fetches the two Debian packages on its first run).
check: check-linux
check-linux: all $(LINUX_IMAGES)
	BUILD=$(BUILD) tools/run-linux.sh check

# The same checks on VT-x, under Bochs, about 2.5 minutes. IPS: Bochs's TSC
# runs at 100 MHz instead of the suite's 4 MHz; at 4 MHz the kernel's clock
# ran 25 times faster against the work done, its 60 s timeouts expired and
# /init's `sleep 1` took 8 s (the timer interrupts alone cost most of the run).
LINUX_VMX := BUILD=$(BUILD) BACKEND=vmx IPS=100000000 TIMEOUT=2400 tools/run-linux.sh check
check-linux-vmx: all $(LINUX_IMAGES)
	$(LINUX_VMX)

# Its short variant, part of `make check`: the same boot and checks with
# 1 MiB workloads instead of 4 and 16.
check: check-linux-vmx-short
check-linux-vmx-short: all $(LINUX_IMAGES)
	KARGS="hvlinux.hash_mib=1 hvlinux.copy_mib=1" $(LINUX_VMX)

# The same checks on plain QEMU (-kernel): the reference every guest must pass.
check-linux-plain: $(LINUX_IMAGES)
	BUILD=$(BUILD) PLAIN=1 tools/run-linux.sh check

# Keys typed on the hypervisor's console reach the VM that owns console input
# (tests/console-input, tools/check-console-input.sh): part of check-svm.
.PHONY: check-svm-console-input
check-svm: check-svm-console-input
check-svm-console-input: all
	BUILD=$(BUILD) tools/check-console-input.sh
