#include "usermode.h"
#include "cpu.h"
#include "idt.h"

/* The parts of the 64-bit TSS used here: RSP0 is the stack an exception
 * from CPL 3 switches to. */
struct __attribute__((packed)) tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
};

#define TSS_AVAILABLE_64 0x89ull /* present, DPL 0, 64-bit TSS (available) */

extern u64 runtime_gdt[];
void enter_user_mode(void (*fn)(void), void *stack_top);

static struct tss64 tss;
static u8 exception_stack[4096] __attribute__((aligned(16)));
static u8 user_stack[4096] __attribute__((aligned(16)));

/* Fills the GDT's TSS slot and loads TR, once (LTR marks the TSS busy). */
static void load_tss(void)
{
	static bool loaded;
	if (loaded)
		return;
	tss.rsp[0] = (u64)(unsigned long)(exception_stack + sizeof(exception_stack));
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	u64 base = (u64)(unsigned long)&tss, limit = sizeof(tss) - 1;
	u64 *d = &runtime_gdt[SEL_TSS / 8];
	d[0] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | TSS_AVAILABLE_64 << 40 |
	       ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	d[1] = base >> 32;
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
	loaded = true;
}

void tss_set_ist(unsigned n, void *stack_top)
{
	load_tss();
	tss.ist[n - 1] = (u64)(unsigned long)stack_top;
}

static void enter(void *fn)
{
	enter_user_mode((void (*)(void))fn, user_stack + sizeof(user_stack));
}

int run_in_user_mode(void (*fn)(void))
{
	load_tss();
	return catch_exception(enter, (void *)fn);
}
