/* A flat 32-bit image entered in protected mode with paging off (suite.cfg
 * kind=flat mode=prot32). Checks that state, that all of it was loaded,
 * protected-mode faults, and turning 32-bit paging on and off again. */
#include "guest.h"

#define CPUID1_EDX_PSE (1u << 3)
#define PDE_4M (1u << 0 | 1u << 1 | 1u << 7) /* present, writable, 4 MiB page */
#define ALIAS 0xC0000000u                    /* maps the first 4 MiB again */
#define BAD_SELECTOR 0x40                    /* beyond the runtime's GDT */

DEFINE_END_MARKER;
static u32 page_directory[1024] __attribute__((aligned(4096)));

static void raise_ud(void *arg)
{
	__asm__ volatile("ud2");
}

static void load_bad_selector(void *arg)
{
	__asm__ volatile("mov %0, %%fs" ::"r"(BAD_SELECTOR));
}

/* Identity 4 MiB pages for all 4 GiB, plus an alias of the first 4 MiB. */
static bool alias_through_paging(void)
{
	for (u32 i = 0; i < 1024; i++)
		page_directory[i] = (i << 22) | PDE_4M;
	page_directory[ALIAS >> 22] = 0 | PDE_4M;
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((unsigned long)page_directory);
	write_cr0(read_cr0() | CR0_PG);
	u32 through_alias = *(volatile u32 *)(ALIAS + (unsigned long)&end_marker);
	write_cr0(read_cr0() & ~CR0_PG);
	return through_alias == END_MARKER_VALUE && !(read_cr0() & CR0_PG);
}

void test_main(void)
{
	plan(6);
	diag("entered %s", multiboot() ? "through Multiboot" : "as a flat image");
	unsigned long cr0 = read_cr0();
	ok((cr0 & CR0_PE) && !(cr0 & CR0_PG), "protected mode with paging off (CR0 0x%lx)", cr0);
	ok_eq(end_marker, END_MARKER_VALUE, "the whole image was loaded (marker at its end)");
	ok_eq(catch_exception(raise_ud, NULL), EXC_UD, "ud2 raises #UD through the 32-bit IDT");
	int vector = catch_exception(load_bad_selector, NULL);
	ok(vector == EXC_GP && caught_error_code == BAD_SELECTOR,
	   "loading a selector beyond the GDT limit raises #GP(selector)");
	if (cpuid(1, 0).edx & CPUID1_EDX_PSE)
		ok(alias_through_paging(), "32-bit paging with 4 MiB pages on, an alias read, paging off again");
	else
		skip("no PSE", "32-bit paging with 4 MiB pages");
	ok(!(read_cr4() & CR4_PAE), "PAE stays off");
}
