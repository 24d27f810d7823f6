/* What an exception stub (hv/cpu/trap.asm) saves, in push order reversed. */
#ifndef HV_TRAP_H
#define HV_TRAP_H

#include "types.h"

struct trap_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void trap_handler(struct trap_frame *f);

/* test_fault= key: raise this exception on purpose after init (boot tests). */
enum test_fault { TEST_FAULT_NONE, TEST_FAULT_UD, TEST_FAULT_PF, TEST_FAULT_GP, TEST_FAULT_DE };
void trap_raise_test_fault(enum test_fault which);

/* The start of the hypervisor image: dumps show addresses relative to it too. */
void trap_set_image_base(u64 base);

#endif
