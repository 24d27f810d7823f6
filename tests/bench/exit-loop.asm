; A guest that only exits: EXITS writes to an unclaimed port (each one a
; full guest exit and re-entry through the core's port dispatch), then the
; debug-exit port. Flat, 16-bit real mode, loaded at 0x8000.
; Built three times: -DEXITS=1 (the baseline), -DEXITS=200000 and, for
; tools/bench-smp.sh, -DEXITS=20000.
bits 16
org 0x8000
	mov ecx, EXITS
.next:	out 0x80, al
	dec ecx
	jnz .next
	xor al, al
	out 0xf4, al
.halt:	hlt
	jmp .halt
