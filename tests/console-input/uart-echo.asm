; The operator's keys reach the VM that owns console input (console_input=on):
; this guest says it waits, reads its COM1 by polling LSR.DR up to a carriage
; return or line feed (FIFOs on), and checks it received "hello" with nothing
; left over. tools/check-console-input.sh types the line on the hypervisor's
; console once the guest waits. Flat, 32-bit protected mode at 0x100000;
; TAP on COM1, status on the debug-exit port (0: both tests passed).
bits 32
org 0x100000

COM1 equ 0x3f8
LSR_DR equ 0x01

start:
	mov esp, stack_top
	mov dx, COM1 + 2
	mov al, 0x07                    ; FIFOs on and cleared
	out dx, al
	mov esi, waiting
	call puts
	mov edi, line
.read:
	call getc
	cmp al, 13
	je .got
	cmp al, 10
	je .got
	cmp edi, line_end
	je .got                         ; too long: the comparison below fails
	stosb
	jmp .read
.got:
	mov byte [edi], 0
	xor ebx, ebx                    ; failures
	mov esi, line
	mov edi, expected
	mov ecx, expected_len + 1       ; with the terminating zero
	repe cmpsb
	mov esi, ok1
	je .t1
	mov esi, notok1
	inc ebx
.t1:
	call puts
	mov dx, COM1 + 5
	in al, dx
	test al, LSR_DR
	mov esi, ok2
	jz .t2
	mov esi, notok2
	inc ebx
.t2:
	call puts
	mov eax, ebx
	out 0xf4, eax
	hlt

; al = the next byte received (waits for it)
getc:
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, LSR_DR
	jz .wait
	mov dx, COM1
	in al, dx
	ret

; prints the zero-terminated string at esi
puts:
	mov dx, COM1
.next:
	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:
	ret

waiting: db "1..2", 10, "# waiting for input", 10, 0
expected: db "hello"
expected_len equ $ - expected
	db 0
ok1: db "ok 1 - the typed line arrived: hello", 10, 0
notok1: db "not ok 1 - the typed line is not 'hello'", 10, 0
ok2: db "ok 2 - nothing else was received", 10, 0
notok2: db "not ok 2 - more bytes than the line arrived", 10, 0

align 16
line: times 64 db 0
line_end:
	db 0
align 16
	times 256 db 0
stack_top:
