; Entry stubs for the hypervisor's own interrupts (APIC timer, reschedule
; and kick IPIs, spurious; vectors in hv/cpu/lapic.h). They save the registers
; a C call may clobber and call irq_dispatch(vector) on the interrupted
; stack. irq_dispatch may switch to another thread; this frame then waits
; on the old thread's stack until the scheduler switches back, and iretq
; resumes it where it was interrupted.

bits 64
default rel
section .text
extern irq_dispatch
global irq_stub_timer
global irq_stub_reschedule
global irq_stub_kick
global irq_stub_spurious

%macro IRQ_STUB 2 ; name, vector
%1:
	push rax
	mov eax, %2
	jmp irq_common
%endmacro

IRQ_STUB irq_stub_timer, 0x20
IRQ_STUB irq_stub_reschedule, 0xF0
IRQ_STUB irq_stub_kick, 0xF1

; A spurious interrupt gets no EOI (SDM 11.9).
irq_stub_spurious:
	iretq

irq_common:
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push rbx
	cld
	mov edi, eax                ; vector
	mov rbx, rsp
	and rsp, -16                ; the C ABI wants a 16-byte aligned stack
	call irq_dispatch wrt ..plt
	mov rsp, rbx
	pop rbx
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	iretq

section .note.GNU-stack noalloc noexec nowrite progbits
