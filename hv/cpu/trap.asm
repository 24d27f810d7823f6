; Exception entry stubs. Each pushes a uniform frame (vector and error code,
; 0 when the CPU pushes none) and jumps to trap_common, which saves the
; general registers and calls trap_handler(struct trap_frame *).
; The frame layout must match struct trap_frame in hv/cpu/trap.h.

bits 64
default rel
section .text
extern trap_handler

; Vectors where the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 32
trap_stub_ %+ v:
%if HAS_ERROR(v) == 0
	push qword 0
%endif
	push qword v
	jmp trap_common
%assign v v + 1
%endrep

trap_common:
	push r15
	push r14
	push r13
	push r12
	push r11
	push r10
	push r9
	push r8
	push rbp
	push rdi
	push rsi
	push rdx
	push rcx
	push rbx
	push rax
	cld
	mov rdi, rsp                ; struct trap_frame *
	mov rbx, rsp
	and rsp, -16                ; the C ABI wants a 16-byte aligned stack
	call trap_handler wrt ..plt
	mov rsp, rbx
	pop rax
	pop rbx
	pop rcx
	pop rdx
	pop rsi
	pop rdi
	pop rbp
	pop r8
	pop r9
	pop r10
	pop r11
	pop r12
	pop r13
	pop r14
	pop r15
	add rsp, 16                 ; vector and error code
	iretq

section .data
global trap_stubs
align 8
trap_stubs:
%assign v 0
%rep 32
	dq trap_stub_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
