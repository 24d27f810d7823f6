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

.PHONY: bench-svm
bench: bench-svm
bench-svm: all
	BUILD=$(BUILD) tools/bench-exits.sh tools/run-qemu.sh svm
	BUILD=$(BUILD) tools/bench-smp.sh tools/run-qemu.sh svm
	BUILD=$(BUILD) tools/bench-irq.sh tools/run-qemu.sh svm

UNIT_SRC_npt := svm/npt.c mm/spte.c
UNIT_SRC_svm_cpl := svm/svm_state.c hv/vm/hypercall.c
