; An event whose delivery itself faults must be delivered once, not lost or
; doubled. The stack the CPU pushes the exception frame on lies in a 2 MiB
; region the guest never touched, so delivering the event takes a
; second-level (EPT/NPT) fault half-way; the hypervisor maps the page and
; must re-inject the event it was delivering (IDT-vectoring information on
; VT-x, EXITINTINFO on SVM).
;   1. RDMSR of an MSR off the allow-list: the hypervisor injects #GP; its
;      delivery faults on the stack; the #GP must arrive, after exactly one
;      RDMSR exit and one denied MSR (a lost event would re-run RDMSR).
;   2. INT 0x30, delivery faulting the same way: the handler must see the
;      return address just after the INT (a software interrupt is re-injected
;      with its instruction length).
; Case 2 fails when the re-injected INT gets the wrong instruction length.
; Case 1 catches a lost #GP on hardware; Bochs (observed) keeps an injected
; event pending in the VM-entry field when its delivery causes an exit, so
; there a missing re-injection of an injected event goes unnoticed.
; Flat, 32-bit protected mode with paging off, loaded at 0x100000; hypercalls
; with VMCALL (accepted by both backends). Prints TAP, exits 0 when all passed.
bits 32
org 0x100000

HC_READ_STATS equ 3
STATS_EXITS_MSR equ 32
STATS_TDP_FAULTS equ 56
STATS_MSR_DENIED equ 88
STATS_SIZE equ 96
UNTOUCHED_A equ 0xA00000        ; top of a 2 MiB region nothing has touched
UNTOUCHED_B equ 0xC00000        ; another one
DENIED_MSR equ 0x1234

start:
	mov esp, stack_top
	mov esi, plan
	call puts
	lidt [idtr]
	call read_stats
	mov eax, [stats + STATS_TDP_FAULTS]
	mov [tdp_before], eax

	mov esp, UNTOUCHED_A
	mov ecx, DENIED_MSR
	rdmsr                           ; -> #GP, whose frame lands on the untouched stack
	jmp fail_gp                     ; a #GP never delivered falls through here

gp_handler:
	mov esp, stack_top
	call read_stats
	mov eax, [stats + STATS_TDP_FAULTS]
	cmp eax, [tdp_before]
	je fail_setup                   ; no second-level fault during delivery: the test proves nothing
	cmp dword [stats + STATS_EXITS_MSR], 1
	jne fail_gp
	cmp dword [stats + STATS_MSR_DENIED], 1
	jne fail_gp
	mov esi, ok_gp
	call puts

	mov esp, UNTOUCHED_B
	int 0x30
after_int:
	jmp fail_int

int30_handler:
	cmp dword [esp], after_int      ; the return address the INT pushed
	jne fail_int
	mov esp, stack_top
	mov esi, ok_int
	call puts
	xor eax, eax
	out 0xf4, al
	hlt

fail_setup:
	mov esp, stack_top
	mov esi, not_ok_setup
	jmp fail
fail_gp:
	mov esp, stack_top
	mov esi, not_ok_gp
	jmp fail
fail_int:
	mov esp, stack_top
	mov esi, not_ok_int
fail:
	call puts
	mov al, 1
	out 0xf4, al
	hlt

; HC_READ_STATS into `stats`.
read_stats:
	mov eax, HC_READ_STATS
	mov ebx, stats
	mov ecx, STATS_SIZE
	vmcall
	ret

; Prints the NUL-terminated string at ESI on COM1.
puts:
	mov dx, 0x3f8
.next:	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:	ret

plan:         db "1..2", 10, 0
ok_gp:        db "ok 1 - #GP injected for a denied MSR arrives once although its delivery faulted", 10, 0
ok_int:       db "ok 2 - INT 0x30 whose delivery faulted returns to the next instruction", 10, 0
not_ok_gp:    db "not ok 1 - #GP injected for a denied MSR arrives once although its delivery faulted", 10, 0
not_ok_int:   db "not ok 2 - INT 0x30 whose delivery faulted returns to the next instruction", 10, 0
not_ok_setup: db "not ok 1 - the exception frame did not fault in the second-level tables", 10, 0

; Interrupt gates (32-bit, DPL 0) for #GP and vector 0x30, code selector 0x08.
%macro GATE 1
	dw (%1 - $$ + 0x100000) & 0xffff
	dw 0x08
	db 0, 0x8e
	dw (%1 - $$ + 0x100000) >> 16
%endmacro
align 8
idt:
	times 13 dq 0
	GATE gp_handler                 ; 13: #GP
	times 0x30 - 14 dq 0
	GATE int30_handler              ; 0x30
idt_end:
idtr:	dw idt_end - idt - 1
	dd idt

align 8
tdp_before: dd 0
stats:      times STATS_SIZE db 0
align 16
	times 1024 db 0
stack_top:
