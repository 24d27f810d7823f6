/*
 * Exceptions: every vector 0-31 has a handler. An exception inside
 * catch_exception() is returned to its caller; any other one is reported as a
 * failed test ("unexpected exception") and ends the guest with status 1.
 */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include "types.h"

#define EXC_DE 0
#define EXC_DB 1
#define EXC_BP 3
#define EXC_UD 6
#define EXC_DF 8
#define EXC_GP 13
#define EXC_PF 14

void idt_init(void);
/* Loads the (shared) IDT on this vCPU: other vCPUs call it before taking interrupts. */
void idt_load(void);
/* Runs fn(arg); returns the vector of the exception it raised, or -1 if none.
 * The code after the faulting instruction is abandoned. Not nestable. */
int catch_exception(void (*fn)(void *), void *arg);
/* The error code pushed by the last caught exception (0 if it has none). */
extern unsigned long caught_error_code;
const char *exception_name(int vector);

#ifdef __x86_64__
/* What the CPU pushed for an interrupt (64-bit: always the full frame). */
struct irq_frame {
	unsigned long rip, cs, rflags, rsp, ss;
};
/* Vector `vector` (any, NMI included) calls fn from its own stub and
 * returns with IRETQ; NULL restores the exception stub (or not present). */
void irq_set_handler(u8 vector, void (*fn)(u8 vector, struct irq_frame *frame));
#endif

#endif
