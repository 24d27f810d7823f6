/*
 * Instructions and exceptions whose effect reaches beyond the VM unless the
 * hypervisor intercepts them: INVD and WBINVD (every cache line of the CPU:
 * run, with no visible effect), RDPMC (the guest's own counters, never the host's:
 * they count nothing), INVLPGA (flushes any ASID on AMD) and the other SVM
 * instructions (#UD: SVM is hidden), #DB and #AC (an exception that re-raises itself during its
 * delivery never leaves the guest: both exit and come back here, single
 * step and a data breakpoint with DR6 telling which, an unaligned user
 * access with CR0.AM and RFLAGS.AC).
 */
#include "guest.h"
#include "x86.h"

#define EXC_AC 17
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_AC (1ul << 18)
#define DR6_B0 (1ul << 0)
#define DR6_BS (1ul << 14)

static void do_invd(void *arg) { __asm__ volatile("invd" ::: "memory"); }
static void do_wbinvd(void *arg) { __asm__ volatile("wbinvd" ::: "memory"); }
static void do_invlpga(void *arg) { __asm__ volatile(".byte 0x0f, 0x01, 0xdf" : : "a"(0ul), "c"(1u) : "memory"); }

/* The other SVM instructions (0F 01 D8, DA-DE): VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT. */
static const u8 svm_modrm[] = { 0xd8, 0xda, 0xdb, 0xdc, 0xdd, 0xde };
static u8 svm_insn[4] __attribute__((aligned(16))) = { 0x0f, 0x01, 0, 0xc3 }; /* ..., ret */
static void do_svm_insn(void *arg)
{
	svm_insn[2] = *(const u8 *)arg;
	__asm__ volatile("call *%0" : : "r"(svm_insn), "a"(0x1000ul) : "memory");
}

/* CPUID with an operand-size prefix, RDMSR (EFER) with REX.W: the CPU
 * ignores both; after the exit RIP must be past the whole instruction. The
 * MOV after each shows it ran (a RIP left inside would run the opcode's
 * last byte as an instruction of its own). */
static void prefixed_exits(void *arg)
{
	u32 *after = arg;
	__asm__ volatile("xor %%esi, %%esi\n\t"
			 ".byte 0x66\n\tcpuid\n\t"
			 "mov $1, %%esi\n\t"
			 "mov %2, %%ecx\n\t"
			 ".byte 0x48\n\trdmsr\n\t"
			 "add $1, %%esi\n\t"
			 "mov %%esi, %0"
			 : "=m"(*after) : "a"(0), "i"(MSR_EFER) : "rbx", "rcx", "rdx", "rsi", "memory");
}

/* RDPMC of counter 0 with a 66 prefix; *arg becomes 1 if the MOV after it ran. */
static void prefixed_rdpmc(void *arg)
{
	__asm__ volatile("xor %%esi, %%esi\n\t"
			 ".byte 0x66\n\trdpmc\n\t"
			 "mov $1, %%esi\n\t"
			 "mov %%esi, %0"
			 : "=m"(*(u32 *)arg) : "c"(0) : "rax", "rdx", "rsi", "memory");
}

/* LOCK INSB from an unknown port into a local: #UD, never the port access. */
static void lock_ins(void *arg)
{
	__asm__ volatile(".byte 0xf0\n\tinsb" : : "D"(arg), "d"(0x7f) : "memory");
}

/* How many of them do not raise #UD. */
static int svm_insns_not_ud(void)
{
	int bad = 0;
	for (unsigned i = 0; i < sizeof(svm_modrm); i++)
		bad += catch_exception(do_svm_insn, (void *)&svm_modrm[i]) != EXC_UD;
	return bad;
}

/* RDPMC of the counter *arg names; the value comes back in *arg. */
static void do_rdpmc(void *arg)
{
	u32 lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"((u32)*(u64 *)arg));
	*(u64 *)arg = (u64)hi << 32 | lo;
}

/* Counter 0's MSR as this CPU's CPUID announces it: AMD PERF_CTR0, Intel IA32_PMC0. */
static u32 counter0_msr(void)
{
	return cpuid(0, 0).ebx == 0x68747541u ? 0xc0010004u : 0xc1u;
}

static void do_wrmsr_counter(void *arg)
{
	wrmsr(counter0_msr(), *(u64 *)arg);
}

static u64 read_dr6(void) { u64 v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void write_dr6(u64 v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }

/* TF set by POPF: the #DB comes after the next instruction. */
static void single_step(void *arg)
{
	__asm__ volatile("pushfq; orq %0, (%%rsp); popfq; nop; nop" : : "i"(RFLAGS_TF) : "memory", "cc");
}

static volatile u32 watched;

static void write_watched(void *arg)
{
	watched = 1;
	__asm__ volatile("nop");
}

static void arm_write_breakpoint(u64 addr)
{
	/* DR7: L0, R/W0 = 01 (data writes), LEN0 = 11 (4 bytes). */
	__asm__ volatile("mov %0, %%dr0" : : "r"(addr));
	__asm__ volatile("mov %0, %%dr7" : : "r"(1ul | 1ul << 16 | 3ul << 18));
}

static void disarm(void) { __asm__ volatile("mov %0, %%dr7" : : "r"(0x400ul)); }

static u64 unaligned_buf[4];

/* At CPL 3: set AC, then read across an alignment boundary; HLT (#GP) if nothing faulted. */
static void user_unaligned(void)
{
	__asm__ volatile("pushfq; orq %0, (%%rsp); popfq" : : "i"(RFLAGS_AC) : "memory", "cc");
	__asm__ volatile("movl (%0), %%eax" : : "r"((char *)unaligned_buf + 1) : "eax", "memory");
	__asm__ volatile("hlt");
}

void test_main(void)
{
	plan(13);
	ok(catch_exception(do_invd, NULL) < 0, "INVD runs (and discards nothing of anybody else)");
	ok(catch_exception(do_wbinvd, NULL) < 0, "WBINVD runs");

	/* The hypervisor's counter 0 counts nothing and keeps what was written: RDPMC
	 * reads that, not a host counter. Plain QEMU TCG raises #UD for RDPMC. */
	u64 written = 0x1234, counter = 0;
	bool stored = catch_exception(do_wrmsr_counter, &written) < 0;
	int v = catch_exception(do_rdpmc, &counter);
	ok(v < 0 || v == EXC_UD, "RDPMC of counter 0 reads it, or is #UD on QEMU TCG (%s)",
	   v < 0 ? "no fault" : exception_name(v));
	u64 bad = 0x1000;
	int v2 = catch_exception(do_rdpmc, &bad);
	ok(stored && v < 0 && counter == written && v2 == EXC_GP,
	   "hv: RDPMC is intercepted: counter 0 reads 0x%lx as written (got 0x%lx), counter 0x1000 is #GP", written,
	   counter);
	v = catch_exception(do_invlpga, NULL);
	ok(v == EXC_UD, "INVLPGA raises #UD: SVM is not offered (%s)", v < 0 ? "no fault" : exception_name(v));
	ok_eq(svm_insns_not_ud(), 0, "VMRUN, VMLOAD, VMSAVE, STGI, CLGI and SKINIT raise #UD");
	u8 byte = 0;
	v = catch_exception(lock_ins, &byte);
	ok(v == EXC_UD, "hv: LOCK INSB raises #UD (plain QEMU 7.2 TCG runs it as INSB) (%s)", v < 0 ? "no fault" : exception_name(v));
	u32 ran = 0;
	v = catch_exception(prefixed_rdpmc, &ran);
	ok(v < 0 && ran == 1, "hv: RDPMC with a 66 prefix continues after the whole instruction (%s, %u)",
	   v < 0 ? "no fault" : exception_name(v), ran);
	u32 after = 0;
	v = catch_exception(prefixed_exits, &after);
	ok(v < 0 && after == 2, "CPUID with 66 and RDMSR with REX.W continue after the whole instruction (%s, %u)",
	   v < 0 ? "no fault" : exception_name(v), after);

	write_dr6(0xffff0ff0ul);
	v = catch_exception(single_step, NULL);
	u64 dr6 = read_dr6();
	ok(v == EXC_DB && (dr6 & DR6_BS), "single step raises #DB with DR6.BS (DR6 0x%lx, %s)", (unsigned long)dr6,
	   v < 0 ? "no fault" : exception_name(v));

	write_dr6(0xffff0ff0ul);
	arm_write_breakpoint((u64)&watched);
	v = catch_exception(write_watched, NULL);
	dr6 = read_dr6();
	disarm();
	ok(v == EXC_DB && (dr6 & DR6_B0), "a data breakpoint raises #DB with DR6.B0 (DR6 0x%lx, %s)",
	   (unsigned long)dr6, v < 0 ? "no fault" : exception_name(v));
	ok(watched == 1, "the write the breakpoint trapped on completed");

	write_cr0(read_cr0() | CR0_AM);
	v = run_in_user_mode(user_unaligned);
	write_cr0(read_cr0() & ~CR0_AM);
	if (v == EXC_GP)
		skip("this CPU does not check alignment (QEMU TCG)", "an unaligned CPL 3 access with AC raises #AC");
	else
		ok(v == EXC_AC, "an unaligned CPL 3 access with CR0.AM and RFLAGS.AC raises #AC (%s)", exception_name(v));
}
