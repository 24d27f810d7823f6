/*
 * A guest fuzzer of instruction streams (issue 13): `count` runs from a
 * seeded generator (args seed= count=), each a short sequence written into
 * an executable buffer and run by fuzz_run (fuzz-insn-run.asm), which
 * catches every exception and interrupt and restores the vCPU afterwards.
 * Built twice from this source: fuzz-insn64 (long mode) and fuzz-insn32
 * (32-bit protected mode, paging off).
 *
 * A run is one of:
 *  - 1 to 4 templates of interesting instructions
 *    (fuzz-insn-gen.c: CR/DR moves, port I/O and string I/O, MSRs, CPUID,
 *    cache and TLB control, descriptor tables, VMX/SVM, hypercalls, software
 *    interrupts, SYSCALL/SYSENTER, string instructions on RAM and MMIO)
 *    with random prefixes and operands, in the guest's usual address space;
 *  - random bytes, filtered (fuzz-insn-gen.c), in an address space that
 *    maps only the VM's RAM and keeps the guest's own image read-only, so a
 *    random pointer faults in the guest instead of writing over the fuzzer
 *    or reaching a device through an instruction nobody emulates.
 *
 * Left out so the run ends by itself: HLT, writes to the exit port, COM1 and
 * the ports that reset or power off the machine; hypercalls HC_EXIT and
 * HC_MEMSLOT; MMIO through instructions the hypervisor does not emulate
 * (GUEST-PLATFORM.md, "MMIO": they stop the VM by design). The guest ends
 * with one TAP line; the hypervisor's exit count is in its own log line.
 */
#include "guest.h"
#include "x86.h"
#include "fuzz-insn.h"

static u64 state;

u64 rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* A value for a register: mostly addresses worth reaching, sometimes anything. */
unsigned long interesting(void)
{
	static const unsigned long fixed[] = {
		0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000ul, 0xfffffffful, ~0ul,
		TESTDEV, IOAPIC, LAPIC, UNBACKED, 0xfed00000ul,
#ifdef __x86_64__
		0x8000000000000000ul, 0x0000800000000000ul, 0xffff800000000000ul, 0x00007ffffffffff0ul,
#endif
	};
	switch (rnd() % 4) {
	case 0: return fixed[rnd() % (sizeof(fixed) / sizeof(fixed[0]))];
	case 1: return (unsigned long)rnd();
	default: return scratch_pointer();
	}
}

/* An address inside the scratch data area, away from its ends. */
unsigned long scratch_pointer(void)
{
	return FUZZ_SCRATCH + 0x4000 + rnd() % (FUZZ_SCRATCH_SIZE - 0x8000);
}

static void init_registers(struct fuzz_ctx *c, bool random_mode)
{
	/* Random bytes may move any register into the stack pointer; in 32-bit
	 * mode (no IST) an exception on a stack that is not writable RAM is a
	 * triple fault, so there every register points into the scratch area. */
	for (int i = 0; i < 16; i++)
		c->gpr[i] = random_mode && (sizeof(long) == 4 || rnd() % 8) ? scratch_pointer() : interesting();
	c->gpr[REG_SP] = FUZZ_STACK_TOP - (64 + rnd() % 64) * sizeof(long);
	/* Earlier runs left exception frames there: no code address may be
	 * popped into a stack pointer (32-bit: the code page is read-only). */
	for (unsigned long *p = (unsigned long *)c->gpr[REG_SP] - 64; p < (unsigned long *)FUZZ_STACK_TOP; p++)
		*p = scratch_pointer();
	/* Arithmetic flags and DF at random; TF sometimes (a #DB after the first
	 * instruction); IF sometimes (an interrupt ends the run). */
	c->flags = 0x2 | (rnd() & 0xcd5) | (rnd() % 32 ? 0 : RFLAGS_TF) | (rnd() % 16 ? 0 : RFLAGS_IF);
}

/* Scratch memory holds pointers into itself: what a random sequence loads
 * into a stack pointer from there is still writable stack. */
static void fill_scratch(void)
{
	for (unsigned long p = FUZZ_SCRATCH; p < FUZZ_STACK_TOP; p += sizeof(long))
		*(unsigned long *)p = scratch_pointer();
}

static u64 by_vector[257];

static void run_one(struct fuzz_ctx *c)
{
	int v = fuzz_run(c);
	by_vector[v < 0 ? 256 : v & 255]++;
}

static void report(u64 count, u64 seed)
{
	print("fuzz-insn: outcomes:");
	for (int v = 0; v < 257; v++)
		if (by_vector[v])
		{
			if (v == 256 || v < 32)
				print(" %s=%lu", v == 256 ? "none" : exception_name(v), (unsigned long)by_vector[v]);
			else
				print(" vector%d=%lu", v, (unsigned long)by_vector[v]);
		}
	print("\n");
	u64 ended = 0;
	for (int v = 0; v < 257; v++)
		ended += by_vector[v];
	ok(ended == count, "%lu runs (seed %lu, %d-bit) came back", (unsigned long)ended, (unsigned long)seed,
	   (int)sizeof(long) * 8);
}

/* trace=N: each run from the Nth on is printed before it runs (a hang or
 * a stopped VM then shows its last run). */
static void trace(u64 i, const struct fuzz_ctx *c)
{
	print("run %lu:", (unsigned long)i);
	for (const u8 *p = (const u8 *)c->code; p < fuzz_code_end(); p++)
		print(" %02x", *p);
	print("\n");
}

void test_main(void)
{
	u64 seed = cmdline_number("seed", 1), count = cmdline_number("count", 10000);
	u64 trace_from = cmdline_number("trace", ~0ull);
	struct fuzz_ctx c;

	state = seed * 0x9e3779b97f4a7c15ull | 1;
	plan(1);
	fuzz_setup();
	fill_scratch();
	for (u64 i = 0; i < count; i++) {
		bool random_mode = rnd() % 4 == 0;
		init_registers(&c, random_mode);
		if (random_mode)
			random_bytes(&c);
		else
			templates(&c);
		if (i >= trace_from)
			trace(i, &c);
		run_one(&c);
		if (i % 4096 == 4095)
			fill_scratch(); /* runs write over it */
	}
	report(count, seed);
}
