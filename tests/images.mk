# Test and bench images that are not guests of the suite: the suite built to
# fail (tests/suite-fails/), the event re-injection VM (tests/reinject/) and
# the exit-loop images of the benchmarks (tests/bench/). Both backends boot
# them; like the guests they travel in $(BUILD)/guests/out (every file there
# is shipped to the hypervisor).
TEST_IMG_OUT := $(BUILD)/guests/out

FAILS_FILES := $(TEST_IMG_OUT)/suite-fails.cfg $(TEST_IMG_OUT)/fails-halt.bin \
	$(TEST_IMG_OUT)/fails-stray-mmio.bin $(TEST_IMG_OUT)/fails-illegal-ipi.bin \
	$(TEST_IMG_OUT)/fails-loops.bin
REINJECT_FILES := $(TEST_IMG_OUT)/reinject.bin $(TEST_IMG_OUT)/reinject.cfg
INPUT_FILES := $(TEST_IMG_OUT)/uart-echo.bin $(TEST_IMG_OUT)/console-input.cfg
BENCH_FILES := $(TEST_IMG_OUT)/bench-exits.bin $(TEST_IMG_OUT)/bench-idle.bin $(TEST_IMG_OUT)/bench-smp.bin \
	$(TEST_IMG_OUT)/bench-exits.cfg $(TEST_IMG_OUT)/bench-idle.cfg $(TEST_IMG_OUT)/bench-smp.cfg \
	$(TEST_IMG_OUT)/bench-irq.cfg
all: $(FAILS_FILES) $(REINJECT_FILES) $(INPUT_FILES) $(BENCH_FILES)

$(TEST_IMG_OUT)/suite-fails.cfg: tests/suite-fails/suite-fails.cfg
	@mkdir -p $(dir $@)
	cp $< $@
$(TEST_IMG_OUT)/fails-%.bin: tests/suite-fails/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

$(TEST_IMG_OUT)/reinject.bin: tests/reinject/reinject.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
$(TEST_IMG_OUT)/reinject.cfg: tests/reinject/reinject.cfg
	@mkdir -p $(dir $@)
	cp $< $@

# Console input (tools/check-console-input.sh).
$(TEST_IMG_OUT)/uart-echo.bin: tests/console-input/uart-echo.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
$(TEST_IMG_OUT)/console-input.cfg: tests/console-input/console-input.cfg
	@mkdir -p $(dir $@)
	cp $< $@

# One exit loop, three lengths: 200000 exits (bench-exits), 20000 per VM (bench-smp), 1 (the idle reference).
$(TEST_IMG_OUT)/bench-exits.bin: tests/bench/exit-loop.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DEXITS=200000 -o $@ $<
$(TEST_IMG_OUT)/bench-smp.bin: tests/bench/exit-loop.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DEXITS=20000 -o $@ $<
$(TEST_IMG_OUT)/bench-idle.bin: tests/bench/exit-loop.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DEXITS=1 -o $@ $<
$(TEST_IMG_OUT)/bench-%.cfg: tests/bench/bench-%.cfg
	@mkdir -p $(dir $@)
	cp $< $@
