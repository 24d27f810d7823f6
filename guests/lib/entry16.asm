; Entry of flat 16-bit images that grow into 64-bit guests, the way boot
; loaders do: real mode -> protected mode -> long mode -> runtime_start().
; The image's first byte is the entry point; it must be loaded below 64 KiB.
; What each mode saw is kept in mode_trace for the guest to report.
global _start, mode_trace

%include "start32.inc"
%include "real16_start.inc"

section .text.entry
BITS 16
_start:
	mov bx, cs                      ; the loader's CS, before REAL16_START sets 0
	REAL16_START
	mov [mode_trace + 0], bx
	smsw [mode_trace + 2]           ; CR0 low word in real mode
	in al, 0x92                     ; fast A20 gate on (bit 0 would reset)
	or al, 2
	and al, 0xFE
	out 0x92, al
	o32 lgdt [gdt_desc]
	mov eax, cr0
	or al, 1                        ; PE
	mov cr0, eax
	jmp dword SEL_CODE32:start32
%include "gdt.inc"

; Filled while running: the CS the loader entered with, the CR0 low word in
; real mode, CR0 in protected mode.
align 4
mode_trace: dw 0, 0
	dd 0

BITS 32
start32:
	mov ax, SEL_DATA
	mov ds, ax
	mov eax, cr0
	mov [mode_trace + 4], eax
	xor esi, esi                    ; no multiboot magic, no info
	xor ebp, ebp
	START32
	jmp enter_long_mode

%include "longmode.inc"
