; Halts with interrupts off: nothing can wake it, so the VM ends as "halt".
bits 16
org 0x8000
	cli
	hlt
