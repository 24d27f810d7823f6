; Multiboot2 entry. GRUB enters in 32-bit protected mode with paging off,
; EAX = 0x36D76289 and EBX = the boot information. We identity-map the first
; 4 GiB with 2 MiB pages, enter long mode and call mb2_main(magic, info).
; hv/cpu/paging.c replaces these tables with the hypervisor's own later.

MB2_HEADER_MAGIC  equ 0xE85250D6
MB2_ARCH_I386     equ 0
MB2_TAG_END       equ 0
MB2_TAG_MODALIGN  equ 6

CR0_PE            equ 1 << 0
CR0_PG            equ 1 << 31
CR0_NW            equ 1 << 29
CR0_CD            equ 1 << 30
CR4_PAE           equ 1 << 5
MSR_EFER          equ 0xC0000080
EFER_LME          equ 1 << 8
PTE_PRESENT_RW    equ 0x3
PTE_HUGE          equ 0x80
BOOT_STACK_SIZE   equ 64 * 1024
IDENTITY_GIB      equ 4

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
	dd MB2_HEADER_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd 0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; Ask for page-aligned modules: guest images are used in place.
	align 8
	dw MB2_TAG_MODALIGN, 0
	dd 8
	align 8
	dw MB2_TAG_END, 0
	dd 8
mb2_header_end:

section .text
bits 32
global mb2_entry
extern mb2_main
mb2_entry:
	cli
	cld
	mov esp, boot_stack_top
	mov edi, eax                ; keep magic and info pointer for mb2_main
	mov esi, ebx

	; Long mode needs CPUID 0x80000001 EDX bit 29; without it stop with a word on COM1.
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz no_long_mode

	; PML4[0] -> PDPT; PDPT[i] -> PD i; every PD entry a 2 MiB page.
	mov dword [boot_pml4], boot_pdpt + PTE_PRESENT_RW
	xor ecx, ecx
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd + PTE_PRESENT_RW
	mov [boot_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, IDENTITY_GIB
	jb .pdpt
	xor ecx, ecx                ; ecx = index of the 2 MiB page
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_PRESENT_RW | PTE_HUGE
	mov edx, ecx
	shr edx, 11                 ; bits 32+ of the address
	mov [boot_pd + ecx * 8], eax
	mov [boot_pd + ecx * 8 + 4], edx
	inc ecx
	cmp ecx, IDENTITY_GIB * 512
	jb .pd

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	; Multiboot2 promises nothing about caching, and GRUB on the Bochs BIOS
	; leaves CD/NW set: run cached (APs copy this CR0, VM entry never loads CD/NW).
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	or eax, CR0_PG | CR0_PE
	mov cr0, eax
	lgdt [boot_gdt_ptr]
	jmp 0x08:long_mode_entry

no_long_mode:
	mov esi, no_long_mode_msg
.putc:
	lodsb
	test al, al
	jz .halt
	mov dx, 0x3F8
	out dx, al
	jmp .putc
.halt:
	hlt
	jmp .halt

bits 64
long_mode_entry:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp                ; ends the stack trace
	mov edi, edi                ; upper halves are undefined after the mode switch
	mov esi, esi
	call mb2_main
.hang:
	cli
	hlt
	jmp .hang

section .rodata
no_long_mode_msg: db "hv: this CPU has no long mode (x86-64); cannot boot", 13, 10, 0

align 8
boot_gdt:
	dq 0
	dq 0x00AF9A000000FFFF       ; 0x08: 64-bit code
	dq 0x00CF92000000FFFF       ; 0x10: data
boot_gdt_ptr:
	dw boot_gdt_ptr - boot_gdt - 1
	dd boot_gdt

section .bss
alignb 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * IDENTITY_GIB
alignb 16
boot_stack: resb BOOT_STACK_SIZE
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
