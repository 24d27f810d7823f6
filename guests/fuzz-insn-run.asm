; fuzz_run: runs one generated instruction sequence (guests/fuzz-insn.c) and
; brings the vCPU back whatever the sequence did. Assembled -f elf64 and
; -f elf32. The sequence starts with the registers, RFLAGS and address space
; of its struct fuzz_ctx and the fuzzer's own IDT (every vector 0-255 leads
; to a stub here, in 64-bit mode on IST 1 so a wild RSP cannot turn an
; exception into a triple fault); it ends either at its tail, a jump to
; fuzz_return, or at any exception or interrupt. Both paths restore, in this
; order: DR7 (no breakpoint may fire in here), GDTR (the stubs' CS comes
; from it), data segments, CR0, CR4, CR3, EFER, IDTR, CR8, DR6, CS, RSP,
; RFLAGS. Returns the vector, or -1 when the tail was reached.
global fuzz_run, fuzz_return, fuzz_stub_table
extern fuzz_idtr

SEL_CODE32 equ 0x08
SEL_DATA   equ 0x10
SEL_CODE64 equ 0x18
MSR_EFER   equ 0xC0000080

%if __BITS__ == 64
%define W 8
%define PTR qword
%else
%define W 4
%define PTR dword
%endif
CTX_FLAGS equ 16 * W    ; struct fuzz_ctx: gpr[16], flags, cr3, code
CTX_CR3   equ 17 * W
CTX_CODE  equ 18 * W

section .text
%if __BITS__ == 64
; int fuzz_run(const struct fuzz_ctx *ctx = rdi)
fuzz_run:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov [rel saved_sp], rsp
	pushfq
	pop qword [rel saved_flags]
	mov rax, cr0
	mov [rel saved_cr0], rax
	mov rax, cr3
	mov [rel saved_cr3], rax
	mov rax, cr4
	mov [rel saved_cr4], rax
	mov rax, cr8
	mov [rel saved_cr8], rax
	sgdt [rel saved_gdtr]
	sidt [rel saved_idtr]
	mov ecx, MSR_EFER
	rdmsr
	mov [rel saved_efer], eax
	mov [rel saved_efer + 4], edx
	mov rax, [rdi + CTX_CODE]
	mov [rel code_ptr], rax
	lidt [rel fuzz_idtr]
	mov rax, [rdi + CTX_CR3]
	mov cr3, rax
	mov rsp, [rdi + 4 * 8]
	push qword [rdi + CTX_FLAGS]
	popfq
	mov rax, [rdi + 0 * 8]
	mov rcx, [rdi + 1 * 8]
	mov rdx, [rdi + 2 * 8]
	mov rbx, [rdi + 3 * 8]
	mov rbp, [rdi + 5 * 8]
	mov rsi, [rdi + 6 * 8]
	mov r8, [rdi + 8 * 8]
	mov r9, [rdi + 9 * 8]
	mov r10, [rdi + 10 * 8]
	mov r11, [rdi + 11 * 8]
	mov r12, [rdi + 12 * 8]
	mov r13, [rdi + 13 * 8]
	mov r14, [rdi + 14 * 8]
	mov r15, [rdi + 15 * 8]
	mov rdi, [rdi + 7 * 8]
	jmp [rel code_ptr]

fuzz_return:                    ; the tail: nothing trusted, not even RSP
	cli
	mov ebx, -1
	jmp recover

stub_common:                    ; on IST 1, interrupts off
	pop rbx
	; fall through
recover:                        ; ebx = the vector or -1
	xor eax, eax
	mov dr7, rax
	lgdt [rel saved_gdtr]
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov rax, [rel saved_cr0]
	mov cr0, rax
	mov rax, [rel saved_cr4]
	mov cr4, rax
	mov rax, [rel saved_cr3]
	mov cr3, rax
	mov ecx, MSR_EFER
	mov eax, [rel saved_efer]
	mov edx, [rel saved_efer + 4]
	wrmsr
	lidt [rel saved_idtr]
	mov rax, [rel saved_cr8]
	mov cr8, rax
	mov eax, 0xffff0ff0
	mov dr6, rax
	mov rsp, [rel saved_sp]
	push SEL_CODE64
	lea rax, [rel .cs]
	push rax
	retfq
.cs:	push qword [rel saved_flags]
	popfq
	mov eax, ebx
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret
%else
; int fuzz_run(const struct fuzz_ctx *ctx)  (cdecl)
fuzz_run:
	push ebx
	push esi
	push edi
	push ebp
	mov eax, [esp + 20]
	mov [saved_sp], esp
	pushfd
	pop dword [saved_flags]
	mov edx, cr0
	mov [saved_cr0], edx
	mov edx, cr3
	mov [saved_cr3], edx
	mov edx, cr4
	mov [saved_cr4], edx
	sgdt [saved_gdtr]
	sidt [saved_idtr]
	mov ebx, eax
	mov ecx, MSR_EFER
	rdmsr
	mov [saved_efer], eax
	mov [saved_efer + 4], edx
	mov eax, ebx
	mov edx, [eax + CTX_CODE]
	mov [code_ptr], edx
	lidt [fuzz_idtr]
	; a run with paging: the fuzzer's 32-bit tables (CR4.PSE), else paging stays off
	mov edx, [eax + CTX_CR3]
	test edx, edx
	jz .nopaging
	mov cr3, edx
	mov edx, cr4
	or edx, 1 << 4
	mov cr4, edx
	mov edx, cr0
	or edx, 1 << 31
	mov cr0, edx
.nopaging:
	mov esp, [eax + 4 * 4]
	push dword [eax + CTX_FLAGS]
	popfd
	mov ecx, [eax + 1 * 4]
	mov edx, [eax + 2 * 4]
	mov ebx, [eax + 3 * 4]
	mov ebp, [eax + 5 * 4]
	mov esi, [eax + 6 * 4]
	mov edi, [eax + 7 * 4]
	mov eax, [eax + 0 * 4]
	jmp [code_ptr]

fuzz_return:                    ; the tail: nothing trusted, not even ESP or DS
	cli
	mov ebx, -1
	jmp recover

stub_common:                    ; on whatever stack the sequence left, interrupts off
	pop ebx
recover:                        ; ebx = the vector or -1
	xor eax, eax
	mov dr7, eax
	lgdt [cs:saved_gdtr]
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov eax, [saved_cr0]        ; paging off again first, then CR4 and CR3
	mov cr0, eax
	mov eax, [saved_cr4]
	mov cr4, eax
	mov eax, [saved_cr3]
	mov cr3, eax
	mov ecx, MSR_EFER
	mov eax, [saved_efer]
	mov edx, [saved_efer + 4]
	wrmsr
	lidt [saved_idtr]
	mov eax, 0xffff0ff0
	mov dr6, eax
	mov esp, [saved_sp]
	push SEL_CODE32
	push .cs
	retf
.cs:	push dword [saved_flags]
	popfd
	mov eax, ebx
	pop ebp
	pop edi
	pop esi
	pop ebx
	ret
%endif

; One stub per vector: an exception, an INT n or an interrupt all end the run.
%macro STUB 1
fstub%1:
	push %1
	jmp stub_common
%endmacro
%assign v 0
%rep 256
	STUB v
%assign v v+1
%endrep

section .rodata
fuzz_stub_table:
%assign v 0
%rep 256
%if __BITS__ == 64
	dq fstub %+ v
%else
	dd fstub %+ v
%endif
%assign v v+1
%endrep

section .bss
alignb 16
saved_sp:    resq 1
saved_flags: resq 1
saved_cr0:   resq 1
saved_cr3:   resq 1
saved_cr4:   resq 1
saved_cr8:   resq 1
saved_efer:  resq 1
saved_gdtr:  resb 16
saved_idtr:  resb 16
code_ptr:    resq 1
