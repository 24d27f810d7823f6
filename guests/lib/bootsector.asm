; A BIOS boot sector that loads a flat real-mode image and jumps to it, so
; tools/run-guest-qemu.sh can run 16-bit guests on plain QEMU (SeaBIOS).
; Not part of any guest. Build: nasm -f bin -DLOAD=.. -DENTRY=.. -DSECTORS=..
BITS 16
ORG 0x7C00
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7C00
	sti
	mov si, packet
	mov ah, 0x42                    ; extended read (LBA), DL = boot drive
	int 0x13
	jc .failed
	cli
	jmp 0:ENTRY
.failed:
	mov dx, 0xF4                    ; status 0x7F: the loader, not the guest
	mov al, 0x7F
	out dx, al
	hlt

align 4
packet:
	db 0x10, 0
	dw SECTORS
	dw LOAD & 0xF, LOAD >> 4        ; buffer offset, segment
	dq 1                            ; the image starts at the second sector

	times 510 - ($ - $$) db 0
	dw 0xAA55
