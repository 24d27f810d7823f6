# svm/: the AMD SVM backend (compiled into the kernel by the top Makefile).
# check-svm runs the whole guest suite under QEMU TCG (SVM + NPT, OVMF), and
# a suite built to fail, proving the verdicts can go red.

.PHONY: check-svm-suite check-svm-fails
check-svm: check-svm-suite check-svm-fails
check-svm-suite: all
	BUILD=$(BUILD) tools/run-suite.sh tools/run-qemu.sh svm
	tools/check-suite-facts.sh $(BUILD)/suite-svm.log --report-lock-breaks
check-svm-fails: all
	BUILD=$(BUILD) tools/check-suite-fails.sh tools/run-qemu.sh svm

# The failing suite and its own images travel with the guest images (every
# file there is shipped).
FAILS_FILES := $(BUILD)/guests/out/suite-fails.cfg $(BUILD)/guests/out/fails-halt.bin \
	$(BUILD)/guests/out/fails-stray-mmio.bin $(BUILD)/guests/out/fails-illegal-ipi.bin \
	$(BUILD)/guests/out/fails-loops.bin
all: $(FAILS_FILES)
$(BUILD)/guests/out/suite-fails.cfg: tests/suite-fails/suite-fails.cfg
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/guests/out/fails-%.bin: tests/suite-fails/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

# bench-svm: the cost of one guest exit under QEMU TCG (tools/bench-exits.sh).
BENCH_OUT := $(BUILD)/guests/out
BENCH_FILES := $(BENCH_OUT)/bench-exits.bin $(BENCH_OUT)/bench-idle.bin $(BENCH_OUT)/bench-smp.bin \
	$(BENCH_OUT)/bench-exits.cfg $(BENCH_OUT)/bench-idle.cfg $(BENCH_OUT)/bench-smp.cfg \
	$(BENCH_OUT)/bench-irq.cfg
$(BENCH_OUT)/bench-exits.bin: tests/bench/exit-loop.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DEXITS=200000 -o $@ $<
$(BENCH_OUT)/bench-smp.bin: tests/bench/exit-loop.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DEXITS=20000 -o $@ $<
$(BENCH_OUT)/bench-idle.bin: tests/bench/exit-loop.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DEXITS=1 -o $@ $<
$(BENCH_OUT)/%.cfg: tests/bench/%.cfg
	@mkdir -p $(dir $@)
	cp $< $@
all: $(BENCH_FILES)

.PHONY: bench-svm
bench: bench-svm
bench-svm: all
	BUILD=$(BUILD) tools/bench-exits.sh tools/run-qemu.sh svm
	BUILD=$(BUILD) tools/bench-smp.sh tools/run-qemu.sh svm
	BUILD=$(BUILD) tools/bench-irq.sh tools/run-qemu.sh svm

UNIT_SRC_npt := svm/npt.c mm/spte.c
