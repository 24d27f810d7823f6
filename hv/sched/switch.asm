; void context_switch(u64 *prev_sp, u64 next_sp, u32 *prev_on_cpu)
; Saves the callee-saved registers and RFLAGS of the running thread on its
; stack, stores its stack pointer in *prev_sp, clears *prev_on_cpu (from
; then on another CPU may resume prev: we never touch its stack again), and
; resumes the thread whose saved stack pointer is next_sp.
; Only general purpose registers and flags are switched: the hypervisor uses
; no FPU/SSE. When two vCPU threads share a CPU, the guests' FPU/SSE/AVX
; state must be saved and restored around the switch (XSAVE) by the vCPU code.
; A new thread's stack is prepared by kthread.c in the same layout, its
; return address pointing at kthread_entry.

bits 64
default rel
section .text

%include "hv/cpu/callee_saved.inc"
global context_switch
global kthread_entry
extern kthread_first_run

context_switch:
	pushfq
	push_callee_saved
	mov [rdi], rsp
	mov dword [rdx], 0          ; a plain store is a release on x86: the saves above are visible first
	mov rsp, rsi
	pop_callee_saved
	popfq
	ret

; First instructions of every kernel thread: r12 holds its struct thread *.
kthread_entry:
	mov rdi, r12
	call kthread_first_run wrt ..plt ; never returns
	ud2

section .note.GNU-stack noalloc noexec nowrite progbits
