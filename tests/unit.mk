# Host unit tests of the portable code (cmocka). Every tests/unit/test_NAME.c
# becomes one program, linked with the code it tests, listed in UNIT_SRC_NAME.
# Each program is built twice: plain, and with AddressSanitizer + UBSan.
# A test that builds a vendor's control block (VMCB, VMCS) lives with its
# backend, in svm/tests/ or vmx/tests/ (tools/check-vendor-split.sh keeps
# those details out of tests/).

UNIT_SRC_spinlock :=
UNIT_SRC_memmap := mm/memmap.c tests/mm/platform_host.c
UNIT_SRC_page_alloc := mm/page_alloc.c mm/memmap.c tests/mm/platform_host.c
UNIT_SRC_keyval := hv/runner/keyval.c hv/console/printf.c
UNIT_SRC_cmdline := hv/runner/cmdline.c hv/runner/keyval.c hv/console/printf.c
UNIT_SRC_insn_decode := hv/emulate/insn_decode.c hv/console/printf.c
UNIT_SRC_guest_walk := hv/emulate/guest_walk.c
UNIT_SRC_xcr0 := hv/vm/xcr0.c
UNIT_SRC_vmx_caps := vmx/caps.c
UNIT_SRC_vmx_guest_check := vmx/guest_check.c
UNIT_SRC_vmx_ept := vmx/ept.c mm/spte.c
UNIT_SRC_guest_image := hv/runner/guest_image.c hv/runner/linux_boot.c hv/console/printf.c
UNIT_SRC_linux_boot := hv/runner/linux_boot.c hv/runner/guest_image.c hv/console/printf.c
UNIT_SRC_multiboot_info := hv/runner/multiboot_info.c hv/console/printf.c
UNIT_SRC_printf := hv/console/printf.c
UNIT_SRC_bootinfo := boot/bootinfo.c
UNIT_SRC_acpi := hv/cpu/acpi.c hv/console/printf.c
UNIT_SRC_runqueue := hv/sched/runqueue.c
UNIT_SRC_hc_memslot := hv/vm/hc_memslot.c $(MM_CORE_SRC) tests/mm/platform_host.c tests/mm/formats.c

UNIT_FILES := $(sort $(wildcard tests/unit/test_*.c svm/tests/test_*.c vmx/tests/test_*.c))
UNIT_NAMES := $(basename $(notdir $(UNIT_FILES)))
# Tests write struct literals positionally, leaving padding fields out.
UNIT_CFLAGS := $(HOST_CFLAGS) -Wno-missing-field-initializers
UNIT_SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_BINS := $(UNIT_NAMES:%=$(BUILD)/unit/%) $(UNIT_NAMES:%=$(BUILD)/unit-san/%)

# $(1) = test_NAME: one plain and one sanitized program.
define unit_test_rules
$(BUILD)/unit/$(1): $(filter %/$(1).c,$(UNIT_FILES)) $(UNIT_SRC_$(1:test_%=%))
	@mkdir -p $$(@D)
	$(HOST_CC) $(UNIT_CFLAGS) -MMD -MP -o $$@ $$(filter %.c,$$^) -lcmocka
$(BUILD)/unit-san/$(1): $(filter %/$(1).c,$(UNIT_FILES)) $(UNIT_SRC_$(1:test_%=%))
	@mkdir -p $$(@D)
	$(HOST_CC) $(UNIT_CFLAGS) $(UNIT_SAN_FLAGS) -MMD -MP -o $$@ $$(filter %.c,$$^) -lcmocka
endef
$(foreach t,$(UNIT_NAMES),$(eval $(call unit_test_rules,$(t))))
-include $(UNIT_BINS:%=%.d)

.PHONY: check-unit unit-tests
unit-tests: $(UNIT_BINS)
check-unit: $(UNIT_BINS)
	tests/unit/run.sh $(UNIT_BINS)
check: check-unit

# Benchmarks of the same portable code (optimized, no sanitizers).
$(BUILD)/unit/bench_page_alloc: tests/unit/bench_page_alloc.c mm/page_alloc.c mm/memmap.c tests/mm/platform_host.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Wno-missing-field-initializers -o $@ $(filter %.c,$^)

.PHONY: bench-unit
bench-unit: $(BUILD)/unit/bench_page_alloc
	$(BUILD)/unit/bench_page_alloc
bench: bench-unit
