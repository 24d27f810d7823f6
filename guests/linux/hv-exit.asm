; hv-exit N: writes N (0..255, decimal) to the debug-exit port 0xF4, which
; ends the VM with status N under the hypervisor and QEMU with (N << 1) | 1
; on plain QEMU (isa-debug-exit). Debian's cloud kernel has no /dev/port,
; so /init needs this: ioperm(0xF4, 1, 1), then OUT. A static x86-64 Linux
; program without libc (tools/linux-images.sh links it into the initramfs).
; Returns 1 if the port is not there to stop it (or the argument is bad).
BITS 64
SYS_EXIT   equ 60
SYS_IOPERM equ 173
PORT       equ 0xf4

global _start
section .text
_start:
	cmp qword [rsp], 2          ; argc: the program and N
	jne .fail
	mov rsi, [rsp + 16]         ; argv[1]
	xor ebx, ebx                ; N
.digit:
	movzx eax, byte [rsi]
	test eax, eax
	jz .parsed
	sub eax, '0'
	cmp eax, 9
	ja .fail
	imul ebx, ebx, 10
	add ebx, eax
	cmp ebx, 255
	ja .fail
	inc rsi
	jmp .digit
.parsed:
	mov edi, PORT
	mov esi, 1
	mov edx, 1
	mov eax, SYS_IOPERM
	syscall
	test rax, rax
	jnz .fail
	mov eax, ebx
	out PORT, al
.fail:                              ; also after the OUT when nothing stopped the machine
	mov edi, 1
	mov eax, SYS_EXIT
	syscall
