; Misuses the local APIC: a fixed IPI to itself with vector 5 (vectors 0-15
; are illegal). The SDM's answer is not a stopped VM but ESR bit 5 ("send
; illegal vector") and no interrupt; the guest exits with the ESR it reads
; after the write that latches it (expect=exit:32).
bits 32
org 0x100000
	mov dword [0xfee000f0], 0x1ff      ; software-enable the APIC
	mov dword [0xfee00280], 0          ; ESR: start clean
	mov dword [0xfee00310], 0          ; destination: APIC ID 0
	mov dword [0xfee00300], 0x4005     ; fixed delivery, vector 5
	mov dword [0xfee00280], 0          ; latch the errors since the last write
	mov eax, [0xfee00280]
	out 0xf4, al
