; A flat image that stays in 16-bit real mode (suite.cfg kind=flat
; mode=real load=0x8000): TAP over COM1 with port I/O, exit through 0xF4.
; Checks real-mode behaviour: CR0.PE clear, segment arithmetic, the IVT,
; far calls to another code segment, 32-bit operands, the whole image, and
; REP INSB with 16-bit addressing through ES (the fw_cfg signature).
BITS 16
ORG 0x8000
IVT_ENTRY_0x80 equ 0x80 * 4

%include "real16_start.inc"

start:
	REAL16_START
	jmp main

%include "real16.inc"

main:
	call serial_init16
	PLAN "7"

	smsw ax
	test al, 1
	CHECK z, "real mode: CR0.PE is clear"

	mov ax, 0x1000                  ; 0x1000:0x0010 and 0x1001:0x0000 are 0x10010
	mov es, ax
	mov byte [es:0x0010], 0x5A
	mov ax, 0x1001
	mov fs, ax
	cmp byte [fs:0x0000], 0x5A
	CHECK e, "segment:offset arithmetic (0x1000:0x10 is 0x1001:0)"

	mov word [IVT_ENTRY_0x80], int80_handler
	mov word [IVT_ENTRY_0x80 + 2], 0
	mov byte [int80_ran], 0
	int 0x80
	cmp byte [int80_ran], 1
	CHECK e, "INT 0x80 goes through our real-mode IVT entry"

	call 0x0800:(far_target - 0x8000)    ; same code, seen from CS = 0x800
	cmp ax, 0x0800
	CHECK e, "far call into CS 0x0800 and RETF back"

	mov eax, 0x12345678             ; operand-size prefix in real mode
	ror eax, 16
	cmp eax, 0x56781234
	CHECK e, "32-bit operands work in real mode"

	cmp dword [end_marker], 'END!'
	CHECK e, "the whole image was loaded (marker at its end)"

	mov dx, 0x510                   ; fw_cfg: select the signature...
	xor ax, ax
	out dx, ax
	inc dx                          ; ...and read 4 bytes into 0x1000:0x0020
	mov ax, 0x1000
	mov es, ax
	mov di, 0x0020
	mov cx, 4
	cld
	rep insb
	cmp dword [es:0x0020], 'QEMU'
	jne .insb_done
	cmp di, 0x0024                  ; DI moved on by 4, CX counted down
	jne .insb_done
	test cx, cx
.insb_done:
	CHECK e, "REP INSB with 16-bit DI through ES reads the fw_cfg signature"

	jmp finish16

int80_handler:
	mov byte [cs:int80_ran], 1
	iret

far_target:                             ; runs with CS = 0x0800
	mov ax, cs
	retf

int80_ran: db 0

end_marker: db 'END!'
