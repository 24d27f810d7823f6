; Start-up code for the other vCPUs of a multi-vCPU guest (lib/smp.c). The
; BSP copies ap_blob to AP_BASE (a page below 1 MiB, so the SIPI vector is
; AP_BASE >> 12), fills ap_cr3 and ap_entry in the copy and sends INIT-SIPI
; through the local APIC. Each AP: real mode -> protected mode -> long mode
; on the BSP's page tables, takes a ticket (its index, from 1), its own stack
; from ap_stacks, and calls ap_entry(index). Addresses inside the blob are
; computed for its copy at AP_BASE.
global ap_blob, ap_blob_end, ap_cr3, ap_entry, ap_ticket
extern ap_stacks

AP_BASE equ 0x8000
AP_STACK_SIZE equ 16384
%define AT(label) (AP_BASE + (label - ap_blob))

section .text
BITS 16
ap_blob:
	cli
	xor ax, ax
	mov ds, ax
	o32 lgdt [AT(ap_gdt_desc)]
	mov eax, cr0
	or al, 1                        ; PE
	mov cr0, eax
	jmp dword 0x08:AT(ap_pm32)

BITS 32
ap_pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, [AT(ap_cr3)]
	mov cr3, eax
	mov ecx, 0xC0000080             ; EFER.LME
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	or eax, 1 << 31                 ; PG: long mode
	mov cr0, eax
	jmp 0x18:AT(ap_lm64)

BITS 64
ap_lm64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, 1
	lock xadd [AT(ap_ticket)], eax  ; eax = this AP's index (from 1)
	mov edi, eax
	imul rsp, rdi, AP_STACK_SIZE    ; stack i ends at ap_stacks + i * size
	mov rax, ap_stacks
	add rsp, rax
	mov rax, [AT(ap_entry)]
	call rax
.halt:	cli
	hlt
	jmp .halt

align 8
ap_gdt:	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: flat 32-bit code
	dq 0x00CF92000000FFFF           ; 0x10: flat data
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
ap_gdt_desc:
	dw 4 * 8 - 1
	dd AT(ap_gdt)
align 8
ap_cr3:	dq 0
ap_entry: dq 0
ap_ticket: dd 1
ap_blob_end:
