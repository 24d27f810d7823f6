; Sends a fixed IPI through the local APIC: interrupt delivery is not
; emulated, so the hypervisor must stop this VM saying so (not ignore it).
bits 32
org 0x100000
	mov dword [0xfee00310], 0          ; destination: APIC ID 0
	mov dword [0xfee00300], 0x4030     ; fixed delivery, vector 0x30
	mov al, 0
	out 0xf4, al
