; Entry of Multiboot guests and flat 32-bit images: protected mode, paging
; off, entered as a Multiboot kernel (EAX = magic, EBX = info) or at _start
; (the image's first byte) by a flat loader. Assembled three ways:
;   -f elf32            32-bit guests: runtime_start(magic, info)
;   -f elf32 -DMB_FLAT  the same with Multiboot address fields (flat images)
;   -f elf64 -DLONG_MODE 64-bit guests: switch to long mode first
global _start

%include "start32.inc"

section .text.entry
BITS 32
_start:
	jmp short start32
%include "multiboot.inc"
%include "gdt.inc"
start32:
	cli
	mov esi, eax
	mov ebp, ebx
	START32
%ifdef LONG_MODE
	jmp enter_long_mode
%include "longmode.inc"
%else
extern runtime_start
	push dword [boot_info_addr]
	push dword [boot_magic]
	call runtime_start
	jmp $
%endif
