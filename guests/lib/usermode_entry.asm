; enter_user_mode(fn = rdi, stack_top = rsi): IRETQ to fn at CPL 3 (see usermode.h).
BITS 64
SEL_USER_DATA   equ 0x20
SEL_USER_CODE64 equ 0x28
global enter_user_mode

section .text
enter_user_mode:
	push SEL_USER_DATA | 3          ; SS
	push rsi                        ; RSP
	pushfq                          ; RFLAGS (IF stays clear)
	push SEL_USER_CODE64 | 3        ; CS
	push rdi                        ; RIP
	iretq
