# Host tests and benchmarks of the MMU core (mm/), with threads as vCPUs.
#   make check-mm    unit + stress tests (plain build)
#   make check-tsan  the same programs under ThreadSanitizer
#   make bench-mm    figures as "bench: <name> <value> <unit>" (QUICK=1: smaller)

MM_TEST_SUPPORT := tests/mm/platform_host.c tests/mm/formats.c tests/mm/vcpu_sim.c
MM_TEST_DEPS := $(MM_CORE_SRC) $(MM_TEST_SUPPORT) $(wildcard mm/*.h tests/mm/*.h)
MM_TESTS := test_mm_unit test_mm_stress
MM_TSAN_FLAGS := -fsanitize=thread -O1 -g

define mm_test_rules
$(BUILD)/mm/$(1): tests/mm/$(1).c $(MM_TEST_DEPS)
	@mkdir -p $$(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $$@ tests/mm/$(1).c $(MM_CORE_SRC) $(MM_TEST_SUPPORT) -lcmocka
$(BUILD)/mm-tsan/$(1): tests/mm/$(1).c $(MM_TEST_DEPS)
	@mkdir -p $$(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(MM_TSAN_FLAGS) -o $$@ tests/mm/$(1).c $(MM_CORE_SRC) $(MM_TEST_SUPPORT) -lcmocka
endef
$(foreach t,$(MM_TESTS),$(eval $(call mm_test_rules,$(t))))

$(BUILD)/mm/bench_mm: tests/mm/bench_mm.c $(MM_TEST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/mm/bench_mm.c $(MM_CORE_SRC) $(MM_TEST_SUPPORT)

.PHONY: check-mm check-tsan bench-mm
check-mm: $(MM_TESTS:%=$(BUILD)/mm/%)
	tests/unit/run.sh $^
check-tsan: $(MM_TESTS:%=$(BUILD)/mm-tsan/%)
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" MM_TEST_SCALE=tsan tests/unit/run.sh $^
bench-mm: $(BUILD)/mm/bench_mm
	$(BUILD)/mm/bench_mm $(if $(QUICK),--quick)

check: check-mm check-tsan
bench: bench-mm
