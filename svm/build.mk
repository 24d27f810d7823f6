# svm/: the AMD SVM backend (compiled into the kernel by the top Makefile).
# check-svm runs the whole guest suite under QEMU TCG (SVM + NPT, OVMF), and
# a suite built to fail, proving the verdicts can go red.

.PHONY: check-svm-suite check-svm-fails
check-svm: check-svm-suite check-svm-fails
check-svm-suite: all
	BUILD=$(BUILD) tools/run-suite.sh tools/run-qemu.sh svm
check-svm-fails: all
	BUILD=$(BUILD) tools/check-suite-fails.sh tools/run-qemu.sh svm

# The failing suite travels with the guest images (every file there is shipped).
all: $(BUILD)/guests/out/suite-fails.cfg
$(BUILD)/guests/out/suite-fails.cfg: tests/suite-fails.cfg
	@mkdir -p $(dir $@)
	cp $< $@

UNIT_SRC_npt := svm/npt.c mm/spte.c
