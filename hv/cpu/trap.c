/* CPU exceptions in the hypervisor itself. Every one but NMI is fatal: the
 * dump names the exception, the registers, CR2 and a short stack trace, and
 * the run ends with HV_EXIT_PANIC. */
#include "hv/cpu/trap.h"
#include "hv/console/console.h"
#include "hv/hv_exit.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/paging.h"

#define VECTOR_NMI 2
#define VECTOR_PAGE_FAULT 14
#define STACK_TRACE_DEPTH 8

static u64 image_base;
static int trap_depth; /* > 1: an exception while dumping another one */

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
	"#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

void trap_set_image_base(u64 base)
{
	image_base = base;
}

/* Follows saved frame pointers (the kernel keeps them) while they look sane. */
static void print_stack_trace(u64 rip, u64 rbp)
{
	kprintf("  stack trace: 0x%lx (image+0x%lx)", (unsigned long)rip, (unsigned long)(rip - image_base));
	for (int i = 0; i < STACK_TRACE_DEPTH; i++) {
		if (!rbp || (rbp & 7) || !paging_is_mapped(rbp) || !paging_is_mapped(rbp + 8))
			break;
		const u64 *frame = (const u64 *)(uintptr_t)rbp;
		u64 ret = frame[1];
		if (!ret)
			break;
		kprintf(" <- 0x%lx", (unsigned long)ret);
		if (frame[0] <= rbp) /* frames must move up the stack */
			break;
		rbp = frame[0];
	}
	kprintf("\n");
}

static void dump(const struct trap_frame *f)
{
	kprintf("hv: CPU exception %s (vector %lu), error code 0x%lx\n",
		exception_names[f->vector & 31], (unsigned long)f->vector, (unsigned long)f->error_code);
	kprintf("  rip 0x%016lx (image+0x%lx) cs 0x%lx rflags 0x%lx\n", (unsigned long)f->rip,
		(unsigned long)(f->rip - image_base), (unsigned long)f->cs, (unsigned long)f->rflags);
	kprintf("  rsp 0x%016lx ss 0x%lx\n", (unsigned long)f->rsp, (unsigned long)f->ss);
	kprintf("  rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n", (unsigned long)f->rax,
		(unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
	kprintf("  rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx r8  0x%016lx\n", (unsigned long)f->rsi,
		(unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
	kprintf("  r9  0x%016lx r10 0x%016lx r11 0x%016lx r12 0x%016lx\n", (unsigned long)f->r9,
		(unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
	kprintf("  r13 0x%016lx r14 0x%016lx r15 0x%016lx\n", (unsigned long)f->r13, (unsigned long)f->r14,
		(unsigned long)f->r15);
	kprintf("  cr0 0x%lx cr2 0x%lx cr3 0x%lx cr4 0x%lx\n", (unsigned long)read_cr0(), (unsigned long)read_cr2(),
		(unsigned long)read_cr3(), (unsigned long)read_cr4());
	print_stack_trace(f->rip, f->rbp);
}

void trap_handler(struct trap_frame *f)
{
	if (f->vector == VECTOR_NMI) {
		log_warn("NMI at rip 0x%lx, ignored\n", (unsigned long)f->rip);
		return;
	}
	console_break_lock();
	if (++trap_depth > 1) {
		kprintf("hv: CPU exception vector %lu while handling another one; stopping\n",
			(unsigned long)f->vector);
		hv_exit(HV_EXIT_PANIC);
	}
	dump(f);
	hv_exit(HV_EXIT_PANIC);
}

/* The #GP test touches a non-canonical address. */
#define TEST_NONCANONICAL_ADDR 0x8000000000000000ull

void trap_raise_test_fault(enum test_fault which)
{
	kprintf("hv: test_fault: raising an exception on purpose\n");
	switch (which) {
	case TEST_FAULT_UD:
		__asm__ volatile("ud2");
		break;
	case TEST_FAULT_PF: /* a write to our own text: proves it is mapped read-only */
		*(volatile u8 *)(void *)trap_raise_test_fault = 0xCC;
		break;
	case TEST_FAULT_GP:
		(void)*(volatile u64 *)(uintptr_t)TEST_NONCANONICAL_ADDR;
		break;
	case TEST_FAULT_DE: {
		u32 dividend = 1, zero = 0;
		__asm__ volatile("xor %%edx, %%edx\n\tdivl %1" : "+a"(dividend) : "r"(zero) : "rdx");
		break;
	}
	case TEST_FAULT_NONE:
		break;
	}
}
