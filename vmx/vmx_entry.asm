; VM entry and exit for VT-x.
;
; int vmx_enter(struct vcpu_regs *regs, u64 *cr2, u64 launched)
;
; Loads the guest's GPRs (all but RSP, which the VMCS holds) from regs and
; CR2 from *cr2, then VMLAUNCH (launched == 0) or VMRESUME. A VM exit lands
; at vmx_exit_landing (the VMCS host RIP) with the host RSP written below,
; where the guest's GPRs and CR2 are stored back and 0 is returned.
; If the instruction fails instead, returns 1 (VMfailInvalid: CF) or
; 2 (VMfailValid: ZF, the VM-instruction error field says why).
; Offsets follow struct vcpu_regs: gpr[n] at 8 * n (hv/vm/vendor.h).

bits 64
default rel
section .text

VMCS_HOST_RSP equ 0x6c14

%include "hv/cpu/callee_saved.inc"
%include "hv/vm/vcpu_regs.inc"
%define G(n) [rdi + VCPU_GPR(n)]

global vmx_enter
global vmx_exit_landing

vmx_enter:
	push_callee_saved
	push rsi                ; [rsp + 8]: cr2 pointer
	push rdi                ; [rsp]: regs pointer (where the exit finds it)

	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .failed             ; CF or ZF: VMfail

	mov rax, [rsi]
	mov cr2, rax
	test rdx, rdx           ; ZF = not launched yet; the MOVs below keep the flags
	mov rax, G(GPR_RAX)
	mov rcx, G(GPR_RCX)
	mov rdx, G(GPR_RDX)
	mov rbx, G(GPR_RBX)
	mov rbp, G(GPR_RBP)
	mov rsi, G(GPR_RSI)
	mov r8, G(GPR_R8)
	mov r9, G(GPR_R9)
	mov r10, G(GPR_R10)
	mov r11, G(GPR_R11)
	mov r12, G(GPR_R12)
	mov r13, G(GPR_R13)
	mov r14, G(GPR_R14)
	mov r15, G(GPR_R15)
	mov rdi, G(GPR_RDI)
	jnz .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:
	; Still in the host: RSP is intact, the GPRs hold guest values (discarded).
	mov eax, 2              ; VMfailValid unless CF
	jnc .out
	mov eax, 1
.out:
	add rsp, 16
	pop_callee_saved
	ret

vmx_exit_landing:
	; RSP is the host RSP written above: [rsp] = regs, [rsp + 8] = cr2 pointer.
	push rdi
	mov rdi, [rsp + 8]
	mov G(GPR_RAX), rax
	mov G(GPR_RCX), rcx
	mov G(GPR_RDX), rdx
	mov G(GPR_RBX), rbx
	mov G(GPR_RBP), rbp
	mov G(GPR_RSI), rsi
	mov G(GPR_R8), r8
	mov G(GPR_R9), r9
	mov G(GPR_R10), r10
	mov G(GPR_R11), r11
	mov G(GPR_R12), r12
	mov G(GPR_R13), r13
	mov G(GPR_R14), r14
	mov G(GPR_R15), r15
	pop rax
	mov G(GPR_RDI), rax
	mov rax, cr2
	mov rsi, [rsp + 8]
	mov [rsi], rax
	xor eax, eax
	jmp vmx_enter.out

section .note.GNU-stack noalloc noexec nowrite progbits
