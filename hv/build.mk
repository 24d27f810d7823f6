# hv/: the kernel's C files are compiled by the top Makefile. Host unit tests
# of hv/ code name the sources they link here (tests/unit.mk builds them).

UNIT_SRC_config := hv/config.c hv/cmdline.c hv/keyval.c hv/printf.c
UNIT_SRC_tap := hv/tap.c hv/printf.c
UNIT_SRC_devices := hv/io.c hv/uart.c hv/fw_cfg.c hv/testdev.c hv/vlapic.c hv/guest_console.c hv/tap.c hv/printf.c
UNIT_SRC_cpuid := hv/cpuid.c
UNIT_SRC_vcpu_mp := hv/vcpu_mp.c

# check-svm-mmu-reclaim: with mmu_zap=fast the MMU worker reclaims obsolete roots (tools/check-mmu-reclaim.sh).
.PHONY: check-svm-mmu-reclaim
check-svm: check-svm-mmu-reclaim
check-svm-mmu-reclaim: all
	BUILD=$(BUILD) tools/check-mmu-reclaim.sh tools/run-qemu.sh svm
