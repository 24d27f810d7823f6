; Exception entry stubs and catch_exception (see idt.h), for 32-bit
; (-f elf32) and 64-bit (-f elf64) guests.
extern exception_handler
global exception_stub_table, catch_exception, catch_resume, catch_sp

section .text
; Each stub makes the frame uniform: vector, error code, then the CPU's frame.
%macro STUB 1
stub%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
	push 0                  ; no error code from the CPU
%endif
	push %1
	jmp exception_common
%endmacro
%assign v 0
%rep 32
	STUB v
%assign v v+1
%endrep

%if __BITS__ == 64
exception_common:               ; never returns: exits or resumes a catch
	mov rdi, rsp
	and rsp, -16
	call exception_handler
	jmp $

; int catch_exception(void (*fn)(void *) = rdi, void *arg = rsi)
catch_exception:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8                  ; keep the call 16-byte aligned
	mov [rel catch_sp], rsp
	mov rax, rdi
	mov rdi, rsi
	call rax
	mov eax, -1                 ; returned normally: no exception
catch_done:
	mov qword [rel catch_sp], 0
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; void catch_resume(unsigned long vector = rdi): back into catch_exception.
catch_resume:
	mov rsp, [rel catch_sp]
	mov eax, edi
	jmp catch_done
%else
exception_common:               ; never returns: exits or resumes a catch
	push esp
	call exception_handler
	jmp $

; int catch_exception(void (*fn)(void *), void *arg)  (cdecl)
catch_exception:
	push ebx
	push esi
	push edi
	push ebp
	mov eax, [esp + 20]
	mov edx, [esp + 24]
	mov [catch_sp], esp
	push edx
	call eax
	add esp, 4
	mov eax, -1                 ; returned normally: no exception
catch_done:
	mov dword [catch_sp], 0
	pop ebp
	pop edi
	pop esi
	pop ebx
	ret

; void catch_resume(unsigned long vector): back into catch_exception.
catch_resume:
	mov eax, [esp + 4]
	mov esp, [catch_sp]
	jmp catch_done
%endif

section .rodata
exception_stub_table:
%assign v 0
%rep 32
%if __BITS__ == 64
	dq stub %+ v
%else
	dd stub %+ v
%endif
%assign v v+1
%endrep

section .bss
catch_sp: resq 1
