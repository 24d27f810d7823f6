#!/usr/bin/env bash
# make check-svm-split / check-vmx-split: the vendor seam holds. No VMCB field,
# SVM exit code or SVM instruction outside svm/; no VMCS field, VMX exit reason
# or VMX instruction outside vmx/ (hv/vm/vendor.h is the only way across).
# Prose may name an instruction in capitals; code spells it in lower case.
set -uo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
svm) other=vmx what="VMCB field, SVM exit code or SVM instruction"
     pat='\bvmcb\b|vmcb_|VMCB_|VMEXIT_[A-Z]|SVM_EXIT_|\bvmrun\b|\bvmload\b|\bvmsave\b|\bclgi\b|\bstgi\b|\binvlpga\b|\bskinit\b' ;;
vmx) other=svm what="VMCS field, VMX exit reason or VMX instruction"
     pat='VMCS_|EXIT_REASON_|\bvmread|\bvmwrite|\bvmlaunch\b|\bvmresume\b|\bvmxon\b|\bvmxoff\b|\bvmptrld\b|\bvmclear\b|\binvept\b|\binvvpid\b' ;;
*) echo "usage: $0 svm|vmx" >&2; exit 2 ;;
esac
if grep -rnE --exclude="$(basename "$0")" "$pat" hv mm boot guests include tests tools Makefile "$other"; then
	echo "not ok - $1 details outside $1/ (above)"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "ok   - no $what outside $1/"
echo "1 passed, 0 failed"
