/*
 * CVE-2015-8104's shape: a #DB whose delivery raises #DB again. An
 * instruction breakpoint (DR0, DR7 execute) sits on the first instruction
 * of the #DB handler; event delivery clears RFLAGS.RF, so every delivery
 * faults again on the handler and the guest never retires another
 * instruction; the #DB gate uses an interrupt stack (IST), so the frames do
 * not grow the stack either and the loop never ends. Unless #DB exits, the
 * CPU stays in the guest: kicks are not answered and the VM can never be
 * stopped. Expected verdict: timeout
 * (tools/check-attacks.sh), with the VMs after it still running.
 */
#include "guest.h"

struct __attribute__((packed)) dtr { u16 limit; u64 base; };

/* Single step: the #DB after the next instruction starts the loop. */
static void single_step(void *arg)
{
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; nop" ::: "memory", "cc");
}

static u8 ist_stack[4096] __attribute__((aligned(16)));

void test_main(void)
{
	struct dtr idtr;

	plan(1);
	__asm__ volatile("sidt %0" : "=m"(idtr));
	u8 *gate = (u8 *)(idtr.base + 16 * EXC_DB);
	tss_set_ist(1, ist_stack + sizeof(ist_stack));
	gate[4] = 1; /* IST 1 */
	u64 handler = *(const u16 *)gate | (u64)*(const u16 *)(gate + 6) << 16 | (u64)*(const u32 *)(gate + 8) << 32;
	ok(handler != 0, "an execute breakpoint on the #DB handler at 0x%lx, then a single step", (unsigned long)handler);
	__asm__ volatile("mov %0, %%dr0" : : "r"(handler));
	__asm__ volatile("mov %0, %%dr7" : : "r"(0x401ul)); /* L0, R/W0 = 00 (execute), LEN0 = 00 */
	if (catch_exception(single_step, NULL) == EXC_DB)
		diag("the #DB handler ran: this CPU did not loop (Bochs checks no breakpoint there)");
	/* Reached only where the loop did not start: spin, so the verdict is the same. */
	for (;;)
		__asm__ volatile("pause");
}
