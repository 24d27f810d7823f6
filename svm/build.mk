# svm/: the AMD SVM backend (compiled into the kernel by the top Makefile).
# check-svm runs the whole guest suite under QEMU TCG (SVM + NPT, OVMF).

.PHONY: check-svm-suite
check-svm: check-svm-suite
check-svm-suite: all
	BUILD=$(BUILD) tools/run-suite.sh tools/run-qemu.sh svm

UNIT_SRC_npt := svm/npt.c mm/spte.c
