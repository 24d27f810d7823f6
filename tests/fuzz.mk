# Host fuzzers (issue 13): libFuzzer targets (clang, with ASan and UBSan) for
# the code that parses bytes a guest or a boot medium controls. Each target
# is tests/fuzz/fuzz_NAME.c, linked with FUZZ_SRC_NAME, seeded from
# tests/fuzz/corpus/NAME/. `make check` runs each for FUZZ_RUNS inputs with a
# fixed seed; `make fuzz` runs each for FUZZ_SECONDS (new inputs go to
# $(BUILD)/fuzz/NAME-corpus, outside the tree).
FUZZ_CC := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -Werror -Iinclude -I. -DHV_HOSTED \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUNS ?= 20000
FUZZ_SECONDS ?= 60

# The instruction decoder, checked against Capstone (the reference decoder).
FUZZ_SRC_insn_decode := hv/emulate/insn_decode.c hv/console/printf.c
FUZZ_LIBS_insn_decode := -lcapstone
FUZZ_SRC_guest_image := hv/runner/guest_image.c hv/runner/linux_boot.c hv/console/printf.c
FUZZ_SRC_config := hv/runner/config.c hv/runner/cmdline.c hv/runner/keyval.c hv/console/printf.c
FUZZ_NAMES := insn_decode guest_image config
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

define fuzz_rules
$(BUILD)/fuzz/$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1))
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ $$(filter %.c,$$^) $(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call fuzz_rules,$(t))))

.PHONY: check-fuzz-host fuzz fuzz-host
check: check-fuzz-host
check-fuzz-host: $(FUZZ_BINS)
	@for t in $(FUZZ_NAMES); do \
		d=$$(mktemp -d) && \
		$(BUILD)/fuzz/$$t -runs=$(FUZZ_RUNS) -seed=1 -artifact_prefix=$(BUILD)/fuzz/$$t- $$d tests/fuzz/corpus/$$t \
			> $(BUILD)/fuzz/$$t.log 2>&1; \
		rc=$$?; rm -rf $$d; \
		if [ $$rc -ne 0 ]; then tail -20 $(BUILD)/fuzz/$$t.log; echo "fuzz-host: $$t FAILED"; exit 1; fi; \
		echo "fuzz-host: $$t: $(FUZZ_RUNS) inputs, no finding"; \
	done
fuzz: fuzz-host
fuzz-host: $(FUZZ_BINS)
	@for t in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/$$t-corpus && \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(BUILD)/fuzz/$$t- \
			$(BUILD)/fuzz/$$t-corpus tests/fuzz/corpus/$$t \
			> $(BUILD)/fuzz/$$t.log 2>&1 || { tail -20 $(BUILD)/fuzz/$$t.log; echo "fuzz-host: $$t FAILED"; exit 1; }; \
		echo "fuzz-host: $$t: $$(grep -o 'Done [0-9]* runs' $(BUILD)/fuzz/$$t.log), no finding"; \
	done

# The guest fuzzers (guests/fuzz-exits.c, guests/fuzz-insn*.c,
# tools/fuzz-guests.sh) on both backends: `make check` runs them with seed 1,
# about 3 * 10^5 exits under QEMU (SVM, 90000 actions: ~20 s) and 10^5 under
# Bochs (VT-x, 30000 actions: ~19 s; 20000 gave 6.9 * 10^4 in 14 s);
# `make fuzz` runs FUZZ_COUNT actions and COUNT/4 sequences per fuzz-insn VM
# with FUZZ_SEED on both.
FUZZ_COUNT ?= 300000
FUZZ_SEED ?= 1
.PHONY: check-svm-fuzz check-vmx-fuzz fuzz-guests
check-svm: check-svm-fuzz
check-svm-fuzz: all
	BUILD=$(BUILD) tools/fuzz-guests.sh tools/run-qemu.sh svm 90000 1
check-vmx: check-vmx-fuzz
check-vmx-fuzz: all
	BUILD=$(BUILD) tools/fuzz-guests.sh "$(BOCHS_MB2)" vmx 30000 1
fuzz: fuzz-guests
fuzz-guests: all
	@BUILD=$(BUILD) tools/fuzz-guests.sh tools/run-qemu.sh svm $(FUZZ_COUNT) $(FUZZ_SEED); s=$$?; \
	BUILD=$(BUILD) tools/fuzz-guests.sh "$(BOCHS_MB2)" vmx $(FUZZ_COUNT) $(FUZZ_SEED) && [ $$s -eq 0 ]
