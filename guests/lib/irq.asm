; Interrupt entry stubs (64-bit guests, see idt.h: irq_set_handler): every
; vector has one; each saves the caller-saved registers, calls
; irq_dispatch(vector, frame) and returns with IRETQ, so handlers are C.
extern irq_dispatch
global irq_stub_table

section .text
%macro ISTUB 1
istub%1:
	push %1
	jmp irq_common
%endmacro
%assign v 0
%rep 256
	ISTUB v
%assign v v+1
%endrep

irq_common:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push rbp
	mov rdi, [rsp + 80]        ; the vector
	lea rsi, [rsp + 88]        ; the CPU's frame: RIP, CS, RFLAGS, RSP, SS
	mov rbp, rsp
	and rsp, -16
	cld
	call irq_dispatch
	mov rsp, rbp
	pop rbp
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 8                 ; the vector
	iretq

section .rodata
irq_stub_table:
%assign v 0
%rep 256
	dq istub %+ v
%assign v v+1
%endrep
