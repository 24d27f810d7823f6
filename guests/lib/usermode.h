/* Running a function at CPL 3 (64-bit guests), e.g. to check that the
 * hypervisor refuses hypercalls from user mode. */
#ifndef GUEST_USERMODE_H
#define GUEST_USERMODE_H

/* Runs fn at CPL 3 on its own stack. fn cannot return: it ends with an
 * instruction that faults at CPL 3 (HLT raises #GP), which brings the CPU
 * back to CPL 0. Returns the vector of that exception. */
int run_in_user_mode(void (*fn)(void));
/* Loads the runtime's TSS (once) and sets its interrupt stack n (1..7): a
 * gate with IST n then always starts at stack_top. */
void tss_set_ist(unsigned n, void *stack_top);

#endif
