/* The smallest guest: it boots, prints TAP over COM1 and exits through 0xF4.
 * It also checks the runtime's own foundations (mode, exception catching). */
#include "guest.h"

static void nothing(void *arg) {}

static void raise_ud(void *arg)
{
	__asm__ volatile("ud2");
}

static u16 user_cs;

static void user_code(void)
{
	__asm__ volatile("mov %%cs, %0" : "=r"(user_cs));
	__asm__ volatile("hlt"); /* privileged: #GP takes us back to CPL 0 */
}

static void raise_gp(void *arg)
{
	/* Non-canonical address: #GP, not #PF. */
	(void)*(volatile u64 *)0x8000000000000000ull;
}

void test_main(void)
{
	plan(6);
	diag("hello from a guest; command line \"%s\"", cmdline());
	ok(multiboot() != NULL, "entered through Multiboot (magic in EAX, info in EBX)");
	ok((read_cr0() & CR0_PG) && (rdmsr(MSR_EFER) & EFER_LMA), "running in 64-bit long mode");
	ok_eq((u64)catch_exception(nothing, NULL), (u64)-1, "catch_exception returns -1 without a fault");
	ok_eq(catch_exception(raise_ud, NULL), EXC_UD, "ud2 raises #UD, caught by the guest's IDT");
	ok_eq(catch_exception(raise_gp, NULL), EXC_GP, "a non-canonical access raises #GP");
	int vector = run_in_user_mode(user_code);
	ok(vector == EXC_GP && user_cs == (SEL_USER_CODE64 | 3), "code runs at CPL 3 and HLT there raises #GP");
}
