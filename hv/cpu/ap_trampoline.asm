; AP start-up trampoline. smp.c copies the bytes from smp_trampoline_start to
; smp_trampoline_end to the page below 1 MiB that the boot path reserved
; (boot_info.trampoline), fills the parameter block at its end, and sends
; the AP a start-up IPI naming that page. The AP starts here in real mode
; with CS = page >> 4, IP = 0, and goes 16 -> 32 -> 64-bit:
;   real mode:   patch the absolute addresses (they depend on the page), load
;                the trampoline GDT, set CR0.PE, far jump to 32-bit code;
;   32-bit:      CR4.PAE, CR3 = a PML4 below 4 GiB (cr3_low), EFER.LME (+NXE),
;                CR0.PG: long mode (compatibility), far jump to 64-bit code;
;   64-bit:      CR3 = the hypervisor's real root (may be above 4 GiB); take
;                a ticket (0, 1, ...: several APs may run this at once when
;                started by broadcast), its stack = stacks[ticket], then
;                entry(ticket), never to return. A ticket beyond max parks
;                the CPU (halted, interrupts off).
; Everything is addressed relative to the page base kept in ebx/rbx, so the
; code runs at any page below 1 MiB.

section .text
global smp_trampoline_start
global smp_trampoline_end
global smp_trampoline_params

%define T(x) ((x) - smp_trampoline_start)
%define CR4_PAE (1 << 5)
%define MSR_EFER 0xC0000080
%define SEL_CODE64 0x08
%define SEL_DATA 0x10
%define SEL_CODE32 0x18

bits 16
smp_trampoline_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4                          ; ebx = linear address of this page
	lea eax, [ebx + T(tramp_gdt)]
	mov [T(tramp_gdtr) + 2], eax
	lea eax, [ebx + T(pm32)]
	mov [T(tramp_far32)], eax
	lea eax, [ebx + T(lm64)]
	mov [T(tramp_far64)], eax
	lgdt [T(tramp_gdtr)]
	mov eax, cr0
	or eax, 1                           ; PE
	mov cr0, eax
	jmp dword far [T(tramp_far32)]

bits 32
pm32:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, [ebx + T(p_cr3_low)]
	mov cr3, eax
	mov ecx, MSR_EFER
	mov eax, [ebx + T(p_efer)]
	xor edx, edx
	wrmsr
	mov eax, [ebx + T(p_cr0)]           ; the BSP's CR0: PE, PG, WP, ...
	mov cr0, eax
	jmp far [ebx + T(tramp_far64)]

bits 64
lm64:
	mov ebx, ebx                        ; upper halves are undefined after the mode switch
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rax, [rbx + T(p_cr3)]
	mov cr3, rax
	mov eax, 1
	lock xadd [rbx + T(p_ticket)], eax  ; eax = my ticket (upper half of rax cleared)
	cmp rax, [rbx + T(p_max)]
	jae .park
	mov rcx, [rbx + T(p_stacks)]
	mov rsp, [rcx + rax * 8]
	mov edi, eax
	mov rax, [rbx + T(p_entry)]
	push 0                              ; no return address: ends stack traces, and the
	jmp rax                             ; entry sees rsp % 16 == 8 as after a call
.park:
	cli
	hlt
	jmp .park

align 16
tramp_gdt:
	dq 0
	dq 0x00AF9A000000FFFF               ; 0x08: 64-bit code
	dq 0x00CF92000000FFFF               ; 0x10: data
	dq 0x00CF9A000000FFFF               ; 0x18: 32-bit code
tramp_gdt_end:
tramp_gdtr:
	dw tramp_gdt_end - tramp_gdt - 1
	dd 0                                ; base: patched in real mode
tramp_far32:
	dd 0                                ; offset: patched
	dw SEL_CODE32
tramp_far64:
	dd 0
	dw SEL_CODE64

; Filled by smp.c: layout = struct trampoline_params in hv/cpu/smp.c.
align 8
smp_trampoline_params:
p_cr3_low: dq 0
p_cr3:     dq 0
p_efer:    dq 0
p_cr0:     dq 0
p_entry:   dq 0
p_stacks:  dq 0
p_max:     dq 0
p_ticket:  dq 0
smp_trampoline_end:

section .note.GNU-stack noalloc noexec nowrite progbits
