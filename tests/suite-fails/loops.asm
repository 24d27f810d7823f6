; Loops forever with interrupts off and no exit of its own: the hypervisor
; must stop it at its time limit (timeout_ms=) and say what its vCPU did.
bits 32
org 0x100000
	cli
.spin:	jmp .spin
