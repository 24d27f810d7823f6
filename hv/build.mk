# hv/: the kernel's C files are compiled by the top Makefile. Host unit tests
# of hv/ code name the sources they link here (tests/unit.mk builds them).

UNIT_SRC_config := hv/runner/config.c hv/runner/cmdline.c hv/runner/keyval.c hv/console/printf.c
UNIT_SRC_tap := hv/runner/tap.c hv/console/printf.c
UNIT_SRC_devices := hv/devices/io.c hv/devices/vpic.c hv/devices/vioapic.c hv/devices/rtc.c hv/cpu/calendar.c hv/devices/pit.c hv/devices/acpi_pm.c hv/devices/pc_testdev.c hv/devices/isa_irq.c hv/devices/uart.c hv/devices/fw_cfg.c hv/devices/testdev.c hv/vm/guest_console.c hv/runner/tap.c hv/console/printf.c
UNIT_SRC_cpuid := hv/vm/cpuid.c
UNIT_SRC_acpi_tables := hv/devices/acpi_tables.c hv/cpu/acpi.c hv/console/printf.c
UNIT_SRC_vcpu_mp := hv/vm/vcpu_mp.c
UNIT_SRC_vlapic := hv/devices/vlapic.c hv/devices/vlapic_timer.c
UNIT_SRC_intr_controllers := hv/devices/vpic.c hv/devices/vioapic.c
UNIT_SRC_mmio_recheck := hv/devices/mmio.c hv/emulate/guest_insn.c hv/emulate/insn_decode.c hv/emulate/guest_walk.c hv/console/printf.c

# check-svm-mmu-reclaim: with mmu_zap=fast the MMU worker reclaims obsolete roots (tools/check-mmu-reclaim.sh).
.PHONY: check-svm-mmu-reclaim
check-svm: check-svm-mmu-reclaim
check-svm-mmu-reclaim: all
	BUILD=$(BUILD) tools/check-mmu-reclaim.sh tools/run-qemu.sh svm
