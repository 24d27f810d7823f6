; Enter an SVM guest and come back. VMRUN itself swaps only RAX, RSP, RIP
; and RFLAGS (kept in the VMCB); this stub swaps the other guest GPRs with
; struct vcpu_regs (offsets = 8 * hardware register number, see hv/vendor.h)
; and keeps the host's FS/GS/TR/LDTR/syscall MSRs with VMSAVE/VMLOAD.
; GIF stays clear from before the host state is saved until it is back.
; Called with interrupts disabled (hv/vcpu.c, the kick protocol of hv/kick.h);
; returns with them disabled: VMRUN runs with the host's IF set, so any
; physical interrupt (a kick IPI, the scheduler's tick) ends the guest.

bits 64
default rel
section .text

%define R(n) (8 * (n))   ; offset of GPR n in struct vcpu_regs
RCX_ equ 1
RDX_ equ 2
RBX_ equ 3
RBP_ equ 5
RSI_ equ 6
RDI_ equ 7

; void svm_enter(struct vcpu_regs *regs /* rdi */, u64 vmcb_pa /* rsi */, u64 host_vmcb_pa /* rdx */)
global svm_enter
svm_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                ; [rsp+16] regs
	push rsi                ; [rsp+8]  guest VMCB
	push rdx                ; [rsp+0]  host VMCB

	clgi
	sti                 ; held by GIF=0; VMRUN saves IF=1: physical interrupts end the guest
	mov rax, rdx
	vmsave              ; host FS/GS/TR/LDTR/KernelGSBase/STAR...
	mov rax, rsi
	vmload              ; the guest's

	mov rcx, [rdi + R(RCX_)]
	mov rdx, [rdi + R(RDX_)]
	mov rbx, [rdi + R(RBX_)]
	mov rbp, [rdi + R(RBP_)]
	mov rsi, [rdi + R(RSI_)]
	mov r8,  [rdi + R(8)]
	mov r9,  [rdi + R(9)]
	mov r10, [rdi + R(10)]
	mov r11, [rdi + R(11)]
	mov r12, [rdi + R(12)]
	mov r13, [rdi + R(13)]
	mov r14, [rdi + R(14)]
	mov r15, [rdi + R(15)]
	mov rdi, [rdi + R(RDI_)]

	vmrun                   ; RAX = guest VMCB; back here at #VMEXIT with host RAX/RSP
	vmsave

	push rdi                ; guest RDI; regs is now at [rsp+24]
	mov rdi, [rsp + 24]
	mov [rdi + R(RCX_)], rcx
	mov [rdi + R(RDX_)], rdx
	mov [rdi + R(RBX_)], rbx
	mov [rdi + R(RBP_)], rbp
	mov [rdi + R(RSI_)], rsi
	mov [rdi + R(8)],  r8
	mov [rdi + R(9)],  r9
	mov [rdi + R(10)], r10
	mov [rdi + R(11)], r11
	mov [rdi + R(12)], r12
	mov [rdi + R(13)], r13
	mov [rdi + R(14)], r14
	mov [rdi + R(15)], r15
	pop rax
	mov [rdi + R(RDI_)], rax

	mov rax, [rsp]
	vmload              ; host FS/GS/TR/... back
	cli                 ; the interrupt that ended the guest waits for the caller's irq_restore
	stgi

	add rsp, 24
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
