; A Multiboot kernel as old test kernels are built: a flat binary linked at
; 0x8000 with the header's address fields (suite.cfg kind=multiboot), its
; bss (a stack) running over 0x9000-0xAFFF where QEMU and the hypervisor
; used to put the information block. The loader must place the block where
; the image is not, below 1 MiB, and load the image whole. (QEMU boots it
; but puts the block at 0x9500 and then copies the image with its zeroed
; bss over it: the checks of the block are the hypervisor's alone.)
; Entered in 32-bit protected mode; TAP over COM1 with the real-mode
; runtime's routines, which assemble the same under BITS 32 as long as the
; upper halves of ESI and EAX are zero (every address here is below 64 KiB).
BITS 32
ORG 0x8000
LOAD equ 0x8000
BSS_END equ 0xB000                      ; the stack: 0x9000 .. BSS_END
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010003                 ; align modules, memory info, address fields
MBI_FLAG_MEM equ 1

mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header                    ; header_addr
	dd LOAD                         ; load_addr
	dd image_end                    ; load_end_addr
	dd BSS_END                      ; bss_end_addr
	dd start                        ; entry_addr

%include "real16.inc"

start:
	mov [boot_magic], eax
	mov [boot_info], ebx
	mov esp, BSS_END
	xor esi, esi
	xor eax, eax
	call serial_init16
	PLAN "4"

	cmp dword [boot_magic], 0x2BADB002
	CHECK e, "EAX holds the Multiboot magic"

	mov ebx, [boot_info]            ; [ebx, ebx + 88) must miss [LOAD, BSS_END)
	mov al, 1
	lea ecx, [ebx + 88]
	cmp ecx, LOAD
	jbe .clear
	cmp ebx, BSS_END
	jae .clear
	mov al, 0
.clear:	cmp al, 1
	CHECK e, "hv: the information block lies clear of the image (0x8000-0xAFFF)"

	mov ebx, [boot_info]
	xor eax, eax
	cmp ebx, 0x100000 - 88
	ja .high
	test dword [ebx], MBI_FLAG_MEM
	jz .high
	mov al, 1
.high:	cmp al, 1
	CHECK e, "hv: the information block is below 1 MiB and announces memory sizes"

	cmp dword [end_marker], 'END!'
	CHECK e, "the whole image was loaded (marker at its end)"
	jmp finish16

boot_magic: dd 0
boot_info: dd 0
end_marker: db 'END!'
image_end:
