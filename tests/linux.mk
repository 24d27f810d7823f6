# The Linux guest: Debian's kernel and a BusyBox initramfs, built from Debian
# packages by tools/linux-images.sh into $(BUILD)/linux (never committed).
# `make all` does not fetch them (it stays offline); these targets do.

LINUX_IMAGES := $(BUILD)/linux/bzImage $(BUILD)/linux/initramfs.cpio.gz

# One run of the script makes both (grouped target).
$(LINUX_IMAGES) &: tools/linux-images.sh guests/linux/init
	BUILD=$(BUILD) tools/linux-images.sh

.PHONY: linux-images run-linux check-linux check-linux-plain
linux-images: $(LINUX_IMAGES)

# An interactive BusyBox shell in a Linux VM under the hypervisor (QEMU, SVM).
run-linux: all $(LINUX_IMAGES)
	BUILD=$(BUILD) tools/run-linux.sh shell

# /init's checks from inside Linux, as TAP, under the hypervisor (QEMU, SVM):
# part of `make check` (it fetches the two Debian packages on its first run).
check: check-linux
check-linux: all $(LINUX_IMAGES)
	BUILD=$(BUILD) tools/run-linux.sh check

# The same checks on plain QEMU (-kernel): the reference every guest must pass.
check-linux-plain: $(LINUX_IMAGES)
	BUILD=$(BUILD) PLAIN=1 tools/run-linux.sh check

# Keys typed on the hypervisor's console reach the VM that owns console input
# (tests/console-input, tools/check-console-input.sh): part of check-svm.
.PHONY: check-svm-console-input
check-svm: check-svm-console-input
check-svm-console-input: all
	BUILD=$(BUILD) tools/check-console-input.sh
