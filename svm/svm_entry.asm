; Enter an SVM guest and come back. VMRUN itself swaps only RAX, RSP, RIP
; and RFLAGS (kept in the VMCB); this stub swaps the other guest GPRs with
; struct vcpu_regs (offsets = 8 * hardware register number, see hv/vm/vendor.h)
; and keeps the host's FS/GS/TR/LDTR/syscall MSRs with VMSAVE/VMLOAD.
; GIF stays clear from before the host state is saved until it is back.
; Called with interrupts disabled (hv/vm/vcpu.c, the kick protocol of hv/cpu/kick.h);
; returns with them disabled: VMRUN runs with the host's IF set, so any
; physical interrupt (a kick IPI, the scheduler's tick) ends the guest.

bits 64
default rel
section .text

%include "hv/cpu/callee_saved.inc"
%include "hv/vm/vcpu_regs.inc"
%define R(n) VCPU_GPR(n)

; void svm_enter(struct vcpu_regs *regs /* rdi */, u64 vmcb_pa /* rsi */, u64 host_vmcb_pa /* rdx */)
global svm_enter
svm_enter:
	push_callee_saved
	push rdi                ; [rsp+16] regs
	push rsi                ; [rsp+8]  guest VMCB
	push rdx                ; [rsp+0]  host VMCB

	clgi
	sti                 ; held by GIF=0; VMRUN saves IF=1: physical interrupts end the guest
	mov rax, rdx
	vmsave              ; host FS/GS/TR/LDTR/KernelGSBase/STAR...
	mov rax, rsi
	vmload              ; the guest's

	mov rcx, [rdi + R(GPR_RCX)]
	mov rdx, [rdi + R(GPR_RDX)]
	mov rbx, [rdi + R(GPR_RBX)]
	mov rbp, [rdi + R(GPR_RBP)]
	mov rsi, [rdi + R(GPR_RSI)]
	mov r8,  [rdi + R(GPR_R8)]
	mov r9,  [rdi + R(GPR_R9)]
	mov r10, [rdi + R(GPR_R10)]
	mov r11, [rdi + R(GPR_R11)]
	mov r12, [rdi + R(GPR_R12)]
	mov r13, [rdi + R(GPR_R13)]
	mov r14, [rdi + R(GPR_R14)]
	mov r15, [rdi + R(GPR_R15)]
	mov rdi, [rdi + R(GPR_RDI)]

	vmrun                   ; RAX = guest VMCB; back here at #VMEXIT with host RAX/RSP
	vmsave

	push rdi                ; guest RDI; regs is now at [rsp+24]
	mov rdi, [rsp + 24]
	mov [rdi + R(GPR_RCX)], rcx
	mov [rdi + R(GPR_RDX)], rdx
	mov [rdi + R(GPR_RBX)], rbx
	mov [rdi + R(GPR_RBP)], rbp
	mov [rdi + R(GPR_RSI)], rsi
	mov [rdi + R(GPR_R8)],  r8
	mov [rdi + R(GPR_R9)],  r9
	mov [rdi + R(GPR_R10)], r10
	mov [rdi + R(GPR_R11)], r11
	mov [rdi + R(GPR_R12)], r12
	mov [rdi + R(GPR_R13)], r13
	mov [rdi + R(GPR_R14)], r14
	mov [rdi + R(GPR_R15)], r15
	pop rax
	mov [rdi + R(GPR_RDI)], rax

	mov rax, [rsp]
	vmload              ; host FS/GS/TR/... back
	cli                 ; the interrupt that ended the guest waits for the caller's irq_restore
	stgi

	add rsp, 24
	pop_callee_saved
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
