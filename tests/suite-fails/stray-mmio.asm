; Reads guest-physical 0xfed00000: in the device hole, claimed by no device.
; The hypervisor must stop this VM with the address (and a state dump).
bits 32
org 0x100000
	mov eax, [0xfed00000]
	mov al, 0
	out 0xf4, al
