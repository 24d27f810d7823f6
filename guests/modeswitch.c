/* A flat image entered in 16-bit real mode whose entry stub (lib/entry16.asm)
 * turns on A20, switches to protected mode and then to long mode, as boot
 * loaders do; this reports what each step saw. */
#include "guest.h"

extern const struct {
	u16 real_cs, real_cr0; /* real_cs: as the loader entered */
	u32 prot_cr0;
} mode_trace;

DEFINE_END_MARKER;

static void raise_ud(void *arg)
{
	__asm__ volatile("ud2");
}

void test_main(void)
{
	plan(7);
	diag("entered at CS 0x%x", mode_trace.real_cs);
	ok(!(mode_trace.real_cr0 & CR0_PE), "started in real mode (CR0 low word 0x%x)", mode_trace.real_cr0);
	ok((mode_trace.prot_cr0 & CR0_PE) && !(mode_trace.prot_cr0 & CR0_PG),
	   "then protected mode with paging off (CR0 0x%x)", mode_trace.prot_cr0);
	u16 cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ok((rdmsr(MSR_EFER) & EFER_LMA) && (read_cr0() & CR0_PG) && (read_cr4() & CR4_PAE) &&
		   cs == SEL_CODE64,
	   "then 64-bit long mode (EFER.LMA, CR0.PG, CR4.PAE, 64-bit CS)");
	ok(multiboot() == NULL, "no Multiboot information (a flat image)");
	ok_eq(end_marker, END_MARKER_VALUE, "the whole image was loaded (marker at its end)");

	volatile u8 *low = (volatile u8 *)0, *high = (volatile u8 *)0x100000;
	*low = 0x11;
	*high = 0x22;
	ok(*low == 0x11 && *high == 0x22, "A20 is on: 0x100000 does not wrap to 0");
	ok_eq(catch_exception(raise_ud, NULL), EXC_UD, "ud2 raises #UD in long mode");
}
