/*
 * The generator of fuzz-insn.c: writes one run into the code buffer. Each
 * template sets the registers it needs with MOV immediates of its own (an
 * earlier instruction of the run may have changed them), adds random
 * prefixes where they cannot make it unsafe, then the instruction. Every
 * run ends with a tail that jumps to fuzz_return.
 */
#include "guest.h"
#include "x86.h"
#include "fuzz-insn.h"

#ifdef __x86_64__
#define LONG 1
#else
#define LONG 0
#endif

extern char fuzz_return[];
#ifndef __x86_64__
static const void *const fuzz_return_ptr = fuzz_return; /* the 32-bit tail jumps through it */
#endif

struct gen {
	u8 *p;
};

static u8 *code_end = (u8 *)FUZZ_CODE; /* how far the previous run wrote */

static void b(struct gen *g, u8 v) { *g->p++ = v; }

static void bytes(struct gen *g, int n, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, n);
	for (int i = 0; i < n; i++)
		b(g, (u8)__builtin_va_arg(ap, int));
	__builtin_va_end(ap);
}

static void imm32(struct gen *g, u32 v)
{
	for (int i = 0; i < 4; i++)
		b(g, (u8)(v >> (8 * i)));
}

/* MOV reg, imm (full width). */
static void set_reg(struct gen *g, int reg, unsigned long v)
{
#ifdef __x86_64__
	b(g, 0x48 | (reg >> 3));
	b(g, 0xb8 + (reg & 7));
	imm32(g, (u32)v);
	imm32(g, (u32)(v >> 32));
#else
	b(g, 0xb8 + reg);
	imm32(g, v);
#endif
}

enum { P66 = 1, P67 = 2, PREP = 4, PLOCK = 8, PSEG = 16, PREX = 32, PREXW = 64 };

/* 0 to 3 legacy prefixes among `allowed`, then maybe a REX prefix
 * (PREX: any; PREXW: only 0x48, which changes no register). Returns what
 * it emitted (PREXW for any REX.W). */
static unsigned prefixes(struct gen *g, unsigned allowed)
{
	static const u8 segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	unsigned used = 0;
	for (int n = (int)(rnd() % 4); n > 0; n--) {
		unsigned p = 1u << (rnd() % 5);
		if (!(allowed & p))
			continue;
		used |= p;
		switch (p) {
		case P66: b(g, 0x66); break;
		case P67: b(g, 0x67); break;
		case PREP: b(g, rnd() & 1 ? 0xf3 : 0xf2); break;
		case PLOCK: b(g, 0xf0); break;
		default: b(g, segs[rnd() % 6]); break;
		}
	}
	if (LONG && (allowed & PREX) && rnd() % 2) {
		u8 rex = 0x40 | (u8)(rnd() & 0xf);
		b(g, rex);
		used |= rex & 8 ? PREXW : 0;
	} else if (LONG && (allowed & PREXW) && rnd() % 2) {
		b(g, 0x48);
		used |= PREXW;
	}
	return used;
}

static bool one_in(unsigned n) { return rnd() % n == 0; }

/* ---- control and debug registers ---- */

static unsigned long cr0_value(void)
{
	/* Not PE or PG, whose clearing in 64-bit mode is #GP: plain QEMU 7.2
	 * lets MOV CR0 clear PG there (seen: CR0 0x60040019 with CS.L still 1).
	 * Not NE: with it clear an x87 error goes out as FERR# (IRQ 13), and
	 * plain QEMU 7.2 then aborts (tcg_handle_interrupt: assertion
	 * "qemu_mutex_iothread_locked()", seen after FWAIT in a random run). */
	unsigned long flip = CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_WP | CR0_AM | CR0_NW | CR0_CD;
	unsigned long v = read_cr0() ^ (rnd() & flip);
	/* Never NW without CD (#GP on hardware): QEMU TCG takes it, and under
	 * the hypervisor on QEMU the next guest entry then fails. */
	return (v & CR0_NW) && !(v & CR0_CD) ? v | CR0_CD : v;
}

/* 64-bit: the guest's tables or a copy of them. Left out: PWT/PCD (plain
 * QEMU 7.2 took a #PF on the next fetch after MOV CR3 of the tables | PCD)
 * and reserved bits. 32-bit: anything, paging is off. */
static unsigned long cr3_value(void)
{
#ifdef __x86_64__
	return one_in(2) ? fuzz_copy_cr3() : fuzz_saved_cr3();
#else
	return (unsigned long)rnd();
#endif
}

/* Plain QEMU 7.2 (TCG), the reference, gets MOV CR4 wrong in long mode: it
 * hangs on reserved or unsupported bits (seen: 0x2000000020 and 0xe60cbf20,
 * RIP stays on the MOV) and lets PAE be cleared (a triple fault at the next
 * fetch) instead of raising #GP. So only the bits every x86-64 CPU has
 * (VME..OSXMMEXCPT, not PAE) are flipped, one at a time; in 32-bit mode
 * (paging off) PAE too. Not fuzzed until that is dealt with: LA57, VMXE,
 * SMXE, PCIDE, OSXSAVE, SMEP, SMAP, PKE, CET, FRED, reserved bits. */
static unsigned long cr4_value(void)
{
	unsigned bit = (unsigned)(rnd() % 11);
	if (LONG && bit == 5)
		bit = 4;
	return read_cr4() ^ (1ul << bit);
}

static void t_mov_cr(struct gen *g)
{
	static const u8 usual[] = { 0, 0, 2, 3, 3, 4, 4, 4, 8, 8 };
	int cr = one_in(8) ? (int)(rnd() % (LONG ? 16 : 8)) : usual[rnd() % (LONG ? 10 : 8)];
	if (one_in(3)) { /* a read */
		prefixes(g, P66 | PSEG | (cr >= 8 ? 0 : PREXW));
		if (cr >= 8)
			b(g, 0x44);
		bytes(g, 3, 0x0f, 0x20, 0xc0 | (cr & 7) << 3);
		return;
	}
	unsigned long v;
	switch (cr) {
	case 0: v = cr0_value(); break;
	case 3: v = cr3_value(); break;
	case 4: v = cr4_value(); break;
	case 8: v = one_in(4) ? (unsigned long)rnd() : rnd() % 16; break;
	default: v = interesting(); break;
	}
	set_reg(g, REG_AX, v);
	prefixes(g, P66 | PSEG | PLOCK * (cr == 0 && LONG)); /* LOCK MOV CR0 is MOV CR8 on AMD */
	if (cr >= 8)
		b(g, 0x44);
	bytes(g, 3, 0x0f, 0x22, 0xc0 | (cr & 7) << 3);
}

/* DR0-3 on the buffers of the run, then DR7 with random enables (never GD:
 * fuzz_return's own MOV DR7 would trap). */
static void t_breakpoints(struct gen *g)
{
	for (int i = 0; i < 4; i++) {
		set_reg(g, REG_AX, one_in(2) ? scratch_pointer() : FUZZ_CODE + rnd() % 64);
		bytes(g, 3, 0x0f, 0x23, 0xc0 | i << 3);
	}
	set_reg(g, REG_AX, (unsigned long)(rnd() & 0xffff01ffu));
	bytes(g, 3, 0x0f, 0x23, 0xf8);
}

static void t_mov_dr(struct gen *g)
{
	int dr = (int)(rnd() % 8);
	if (one_in(3)) {
		if (LONG && one_in(8))
			b(g, 0x44); /* DR8-15: #UD */
		bytes(g, 3, 0x0f, 0x21, 0xc0 | dr << 3);
		return;
	}
	if (one_in(3)) {
		t_breakpoints(g);
		return;
	}
	unsigned long v = interesting();
	if (dr == 6 || dr == 4)
		v = one_in(4) ? (unsigned long)rnd() : (unsigned long)(u32)rnd(); /* upper half set: #GP */
	if (dr == 7 || dr == 5)
		v = (one_in(4) ? (unsigned long)rnd() : (unsigned long)(u32)rnd()) & ~0x20fful; /* no enables, no GD */
	set_reg(g, REG_AX, v);
	if (LONG && one_in(16))
		b(g, 0x44);
	bytes(g, 3, 0x0f, 0x23, 0xc0 | dr << 3);
}

/* ---- port I/O ---- */

/* Ports whose write would end or reset the run (exit port, COM1, the
 * 8042 and port 0x92 resets, PCI configuration, ACPI PM (S5; on plain QEMU
 * q35 also the TCO watchdog), APM/SMI, fw_cfg DMA)
 * or that the hypervisor refuses by design (PIT modes 1, 4, 5: port 0x43).
 * Plain QEMU 7.2 asserts on pc-testdev's IRQ ports 0x2010-0x2017 (its ISA
 * bus has 16 lines: isa_get_irq "isairq < ISA_NUM_IRQS"). */
static bool port_write_unsafe(u32 port)
{
	static const u16 bad[][2] = { { 0xf4, 0xf7 }, { 0x3f8, 0x3ff }, { 0x60, 0x64 }, { 0x92, 0x92 },
				      { 0xcf8, 0xcff }, { 0x600, 0x6ff }, { 0x510, 0x51b }, { 0x43, 0x43 },
				      { 0xb2, 0xb3 }, { 0x2010, 0x2017 } };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (port + 3 >= bad[i][0] && port <= bad[i][1])
			return true;
	return false;
}

static u16 some_port(void)
{
	static const u16 ports[] = { 0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71, 0x80, 0xa0, 0xa1,
				     0xe0, 0xe4, 0xe8, 0xf4, 0x3f0, 0x510, 0x511, 0x604, 0x608, 0xcf8,
				     0xcfc, 0x2000, 0x2010, 0x4d0, 0x4d1 };
	return one_in(2) ? ports[rnd() % (sizeof(ports) / sizeof(ports[0]))] : (u16)rnd();
}

/* Plain QEMU 7.2 asserts on a wider-than-byte access to its 16550 (a 4-byte
 * IN from 0x3FD aborted QEMU: serial_ioport_read "size == 1 && addr < 8"). */
static bool port_touches_com1(u32 port)
{
	return port + 3 >= 0x3f8 && port <= 0x3ff;
}

static void t_port(struct gen *g)
{
	u16 port = some_port();
	if (port_touches_com1(port))
		port = 0x80;
	bool out = one_in(2) && !port_write_unsafe(port);
	int form = (int)(rnd() % 3); /* imm8, DX, string */
	if (form == 0 && port > 0xff)
		form = 1;
	set_reg(g, REG_DX, port);
	set_reg(g, REG_AX, interesting());
	if (form == 2) {
		set_reg(g, REG_SI, scratch_pointer());
		set_reg(g, REG_DI, scratch_pointer());
		set_reg(g, REG_CX, one_in(16) ? 1000 : rnd() % 33);
		b(g, one_in(4) ? 0xfd : 0xfc); /* STD / CLD */
		prefixes(g, P66 | P67 | PREP | PSEG | PREXW);
		b(g, (out ? 0x6e : 0x6c) | (u8)(rnd() & 1));
		return;
	}
	prefixes(g, P66 | PSEG | PREXW);
	u8 op = (form == 0 ? 0xe4 : 0xec) | (out ? 2 : 0) | (u8)(rnd() & 1);
	b(g, op);
	if (form == 0)
		b(g, (u8)port);
}

/* ---- MSRs, CPUID, counters ---- */

static u32 some_msr(void)
{
	static const u32 msrs[] = { 0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x8b, 0xc1, 0xc2, 0xe7, 0xe8, 0xfe,
				    0x174, 0x175, 0x176, 0x179, 0x17a, 0x186, 0x1a0, 0x1d9, 0x200, 0x201,
				    0x250, 0x277, 0x2ff, 0x400, 0x401, 0x480, 0x48b, 0x6e0, 0x802, 0x808,
				    0x830, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100,
				    0xc0000102, 0xc0000103, 0xc0010000, 0xc0010004, 0xc0010015, 0xc0010114,
				    0xc0010117, 0xc0011000, 0x40000000, 0x40000001, 0x40000070 };
	if (one_in(4))
		return (u32)rnd();
	return msrs[rnd() % (sizeof(msrs) / sizeof(msrs[0]))] + (one_in(4) ? (u32)(rnd() % 16) : 0);
}

/* MSRs the fuzzer leaves alone: EFER has its own template; the APIC base,
 * FS/GS bases (segment-override templates rely on base 0) and the SYSCALL
 * and SYSENTER targets (fuzz-insn-space.c) stay as set. */
static bool msr_kept(u32 m)
{
	return m == MSR_EFER || m == MSR_APIC_BASE || (m >= MSR_STAR && m <= MSR_SFMASK) ||
	       (m >= MSR_FS_BASE && m <= MSR_KERNEL_GS_BASE) || (m >= MSR_SYSENTER_CS && m <= MSR_SYSENTER_EIP);
}

static void t_msr(struct gen *g)
{
	u32 m = some_msr();
	bool write = one_in(2) && !msr_kept(m);
	u64 v = one_in(2) ? rnd() : rnd() & (one_in(2) ? 0xff : 0xffffffffu);
	set_reg(g, REG_CX, m);
	set_reg(g, REG_AX, (u32)v);
	set_reg(g, REG_DX, (u32)(v >> 32));
	prefixes(g, P66 | PSEG | PREXW);
	bytes(g, 2, 0x0f, write ? 0x30 : 0x32);
}

static bool plain_svm; /* SVM offered (plain QEMU): EFER.SVME would make VMRUN real */

/* EFER: the guest's value with bits flipped; clearing LME in long mode is #GP. */
static void t_efer(struct gen *g)
{
	u64 flip = EFER_SCE | EFER_NXE | (1u << 13) | (1u << 14) | (1u << 15) | (plain_svm ? 0 : EFER_SVME);
	if (one_in(4))
		flip |= EFER_LME | rnd();
	if (plain_svm)
		flip &= ~EFER_SVME;
	u64 v = rdmsr(MSR_EFER) ^ (rnd() & flip);
	set_reg(g, REG_CX, MSR_EFER);
	set_reg(g, REG_AX, (u32)v);
	set_reg(g, REG_DX, (u32)(v >> 32));
	bytes(g, 2, 0x0f, 0x30);
}

static void t_cpuid(struct gen *g)
{
	static const u32 bases[] = { 0, 0x40000000, 0x80000000, 0xc0000000, 0x8ffffff0 };
	u32 leaf = one_in(4) ? (u32)rnd() : bases[rnd() % 5] + (u32)(rnd() % 0x24);
	set_reg(g, REG_AX, leaf);
	set_reg(g, REG_CX, one_in(2) ? rnd() % 4 : (u32)rnd());
	prefixes(g, P66 | PREP | PSEG | PREX);
	bytes(g, 2, 0x0f, 0xa2);
}

static void t_counters(struct gen *g)
{
	static const u32 pmcs[] = { 0, 1, 2, 3, 4, 0x40000000, 0x40000001, 0x80000000 };
	set_reg(g, REG_CX, one_in(2) ? pmcs[rnd() % 8] : (u32)rnd() % 4);
	switch (rnd() % 6) {
	case 0: prefixes(g, P66 | PSEG | PREX); bytes(g, 2, 0x0f, 0x33); break;  /* RDPMC */
	case 1: prefixes(g, P66 | PSEG | PREX); bytes(g, 2, 0x0f, 0x31); break;  /* RDTSC */
	case 2: bytes(g, 3, 0x0f, 0x01, 0xf9); break;                            /* RDTSCP */
	case 3: bytes(g, 3, 0x0f, 0x01, 0xd0); break;                            /* XGETBV */
	case 4: bytes(g, 4, 0xf3, 0x0f, 0xc7, 0xf8); break;                      /* RDPID */
	default: {                                                                /* XSETBV */
		static const u32 xcr0[] = { 1, 3, 7, 5, 0x1f, 0xe7, 0x207, 0 };
		set_reg(g, REG_CX, one_in(4) ? (u32)rnd() : rnd() % 2);
		set_reg(g, REG_AX, one_in(4) ? (u32)rnd() : xcr0[rnd() % 8]);
		set_reg(g, REG_DX, one_in(4) ? (u32)rnd() : 0);
		bytes(g, 3, 0x0f, 0x01, 0xd1);
	}
	}
}

/* ---- caches, TLB, descriptor tables ---- */

static void t_cache_tlb(struct gen *g)
{
	set_reg(g, REG_AX, scratch_pointer());
	set_reg(g, REG_CX, one_in(2) ? rnd() % 4 : (u32)rnd());
	switch (rnd() % 9) {
	case 0: bytes(g, 2, 0x0f, 0x08); break;                          /* INVD */
	case 1: bytes(g, 2, 0x0f, 0x09); break;                          /* WBINVD */
	case 2: bytes(g, 3, 0xf3, 0x0f, 0x09); break;                    /* WBNOINVD */
	case 3: set_reg(g, REG_AX, interesting()); prefixes(g, PSEG | P67); bytes(g, 3, 0x0f, 0x01, 0x38); break; /* INVLPG [rAX] */
	case 4: set_reg(g, REG_AX, interesting()); bytes(g, 3, 0x0f, 0x01, 0xdf); break; /* INVLPGA */
	case 5: bytes(g, 5, 0x66, 0x0f, 0x38, 0x82, 0x08); break;        /* INVPCID rCX, [rAX] */
	case 6: bytes(g, 2, 0x0f, 0x06); break;                          /* CLTS */
	case 7: prefixes(g, P66 | PSEG); bytes(g, 3, 0x0f, 0xae, 0x38); break; /* CLFLUSH(OPT) [rAX] */
	default: bytes(g, 3, 0x0f, 0xae, 0xf0 | (u8)(rnd() % 3) << 3); break; /* MFENCE/LFENCE/SFENCE */
	}
}

static u16 some_selector(void)
{
	return one_in(4) ? (u16)rnd() : (u16)((rnd() % 9) * 8 | (rnd() % 4 ? 0 : rnd() % 4));
}

/* A GDT or IDT pseudo-descriptor at [rAX]: the guest's own table, or
 * (`wild`) one with a random limit or base. */
static void table_operand(struct gen *g, bool idt, bool wild)
{
	u8 d[10];
	unsigned long p = scratch_pointer();
	if (idt)
		memcpy(d, &fuzz_idtr, sizeof(d)); /* the IDT of runs, not the runtime's */
	else
		__asm__ volatile("sgdt %0" : "=m"(d));
	if (wild && one_in(2)) {
		u16 limit = one_in(2) ? (u16)rnd() : (u16)(rnd() % 64);
		d[0] = (u8)limit;
		d[1] = (u8)(limit >> 8);
	} else if (wild) {
		unsigned long base = interesting();
		memcpy(&d[2], &base, sizeof(long));
	}
	memcpy((void *)p, d, sizeof(d));
	set_reg(g, REG_AX, p);
}

/* A run of its own: LGDT or LIDT of a wild table, then the tail (which
 * restores it). An exception before that would be delivered through it. */
static void t_table_load(struct gen *g)
{
	bool idt = one_in(2);
	table_operand(g, idt, true);
	prefixes(g, P66 | PSEG | PREXW);
	bytes(g, 3, 0x0f, 0x01, idt ? 0x18 : 0x10);
}

static void t_descriptors(struct gen *g)
{
	set_reg(g, REG_AX, scratch_pointer());
	set_reg(g, REG_CX, some_selector());
	switch (rnd() % 12) {
	case 0: prefixes(g, P66 | PSEG | PREXW); bytes(g, 3, 0x0f, 0x01, 0x00); break; /* SGDT [rAX] */
	case 1: prefixes(g, P66 | PSEG | PREXW); bytes(g, 3, 0x0f, 0x01, 0x08); break; /* SIDT [rAX] */
	case 2: bytes(g, 3, 0x0f, 0x00, one_in(2) ? 0x00 : 0xc1); break;              /* SLDT [rAX] / ECX */
	case 3: bytes(g, 3, 0x0f, 0x00, one_in(2) ? 0x08 : 0xc9); break;              /* STR */
	case 4: prefixes(g, P66 | PREXW); bytes(g, 3, 0x0f, 0x01, one_in(2) ? 0x20 : 0xe1); break; /* SMSW */
	case 5: bytes(g, 3, 0x0f, 0x01, 0xf1); break;                                 /* LMSW CX */
	case 6: bytes(g, 3, 0x0f, 0x00, 0xd1); break;                                 /* LLDT CX */
	case 7: /* LTR CX, never null: plain QEMU 7.2 loads a null TR instead of
		 * raising #GP, and the next exception through IST then aborts QEMU
		 * ("qemu: fatal: invalid tss") */
		set_reg(g, REG_CX, some_selector() | 8);
		bytes(g, 3, 0x0f, 0x00, 0xd9);
		break;
	case 8: bytes(g, 3, 0x0f, 0x00, 0xe1 | (u8)(rnd() & 1) << 3); break;          /* VERR/VERW CX */
	case 9: prefixes(g, P66 | PREXW); bytes(g, 3, 0x0f, 0x02 | (u8)(rnd() & 1), 0xc1); break; /* LAR/LSL */
	case 10: /* MOV Sreg, CX (CS: #UD), MOV r, Sreg */
		bytes(g, 2, one_in(3) ? 0x8c : 0x8e, 0xc1 | (u8)(rnd() % 8) << 3);
		break;
	default: { /* LGDT / LIDT of the guest's own table */
		bool idt = one_in(2);
		table_operand(g, idt, false);
		prefixes(g, P66 | PSEG | PREXW);
		bytes(g, 3, 0x0f, 0x01, idt ? 0x18 : 0x10);
	}
	}
}

/* ---- VMX, SVM, hypercalls, everything else ---- */

static void t_virtualization(struct gen *g)
{
	static const u8 insn[][5] = {
		{ 4, 0xf3, 0x0f, 0xc7, 0x30 }, /* VMXON [rAX] */
		{ 4, 0x66, 0x0f, 0xc7, 0x30 }, /* VMCLEAR */
		{ 3, 0x0f, 0xc7, 0x30 },       /* VMPTRLD */
		{ 3, 0x0f, 0xc7, 0x38 },       /* VMPTRST */
		{ 3, 0x0f, 0x78, 0xc8 },       /* VMREAD rAX, rCX */
		{ 3, 0x0f, 0x79, 0xc1 },       /* VMWRITE rAX, rCX */
		{ 3, 0x0f, 0x01, 0xc2 },       /* VMLAUNCH */
		{ 3, 0x0f, 0x01, 0xc3 },       /* VMRESUME */
		{ 3, 0x0f, 0x01, 0xc4 },       /* VMXOFF */
		{ 4, 0x66, 0x0f, 0x38, 0x80 }, /* INVEPT (ModRM below) */
		{ 4, 0x66, 0x0f, 0x38, 0x81 }, /* INVVPID */
		{ 3, 0x0f, 0x01, 0xd4 },       /* VMFUNC */
		{ 2, 0x0f, 0x37 },             /* GETSEC */
		{ 3, 0x0f, 0x01, 0xd8 },       /* VMRUN */
		{ 3, 0x0f, 0x01, 0xda },       /* VMLOAD */
		{ 3, 0x0f, 0x01, 0xdb },       /* VMSAVE */
		{ 3, 0x0f, 0x01, 0xdc },       /* STGI */
		{ 3, 0x0f, 0x01, 0xdd },       /* CLGI */
		{ 3, 0x0f, 0x01, 0xde },       /* SKINIT */
		{ 3, 0x0f, 0x01, 0xfe },       /* INVLPGB */
		{ 3, 0x0f, 0x01, 0xff },       /* TLBSYNC */
	};
	unsigned i = (unsigned)(rnd() % (sizeof(insn) / sizeof(insn[0])));
	set_reg(g, REG_AX, one_in(4) ? interesting() : scratch_pointer());
	set_reg(g, REG_CX, interesting());
	prefixes(g, PSEG);
	for (int k = 1; k <= insn[i][0]; k++)
		b(g, insn[i][k]);
	if (i == 9 || i == 10)
		b(g, 0x08);
}

static void t_hypercall(struct gen *g)
{
	static const unsigned long calls[] = { HC_VERSION, HC_CONSOLE_WRITE, HC_READ_STATS, HC_TDP_LEVEL, 6, 0x1000 };
	unsigned long nr = one_in(8) ? (unsigned long)rnd() : calls[rnd() % 6];
	if (nr == HC_EXIT || nr == HC_MEMSLOT) /* HC_EXIT ends the VM; fuzz-exits covers HC_MEMSLOT */
		nr = HC_VERSION;
	set_reg(g, REG_AX, nr);
	set_reg(g, REG_BX, one_in(4) ? interesting() : scratch_pointer());
	set_reg(g, REG_CX, nr == HC_CONSOLE_WRITE ? rnd() % 16 : one_in(2) ? rnd() % 512 : interesting());
	set_reg(g, REG_DX, interesting());
	set_reg(g, REG_SI, interesting());
	bytes(g, 3, 0x0f, 0x01, one_in(2) ? 0xc1 : 0xd9); /* VMCALL / VMMCALL */
}

static bool have_monitor; /* MWAIT would halt with interrupts off */

static void t_misc(struct gen *g)
{
	set_reg(g, REG_AX, scratch_pointer());
	set_reg(g, REG_CX, 0);
	set_reg(g, REG_DX, 0);
	switch (rnd() % 16) {
	case 0: bytes(g, 2, 0xcd, (u8)rnd()); break;              /* INT n */
	case 1: b(g, 0xcc); break;                                /* INT3 */
	case 2: b(g, 0xf1); break;                                /* INT1 */
	case 3: b(g, 0xce); break;                                /* INTO (#UD in 64-bit) */
	case 4: bytes(g, 2, 0x0f, 0x0b); break;                   /* UD2 */
	case 5: bytes(g, 2, 0xf3, 0x90); break;                   /* PAUSE */
	case 6: prefixes(g, PREXW); bytes(g, 2, 0x0f, 0x05); break; /* SYSCALL */
	case 7: bytes(g, 2, 0x0f, 0x34); break;                   /* SYSENTER */
	case 8: bytes(g, 3, 0x0f, 0x01, 0xf8); break;             /* SWAPGS (#UD outside 64-bit) */
	case 9: bytes(g, 3, 0x0f, 0x01, 0xc8); break;             /* MONITOR */
	case 10:                                                  /* MWAIT */
		if (!have_monitor)
			bytes(g, 3, 0x0f, 0x01, 0xc9);
		break;
	case 11: bytes(g, 3, 0x0f, 0x01, 0xca | (u8)(rnd() & 1)); break; /* CLAC / STAC */
	case 12: bytes(g, 3, 0x0f, 0xc7, 0xf0 | (u8)(rnd() & 8)); break; /* RDRAND / RDSEED */
	case 13: set_reg(g, REG_AX, 0); bytes(g, 3, 0x0f, 0x01, 0xee | (u8)(rnd() & 1)); break; /* RDPKRU / WRPKRU 0 */
	case 14: /* BOUND on a pair of pointers (62 is EVEX in 64-bit mode) */
		if (!LONG)
			bytes(g, 2, 0x62, 0x08);
		break;
	default: bytes(g, 3, 0x0f, 0x01, 0xe8); break; /* SERIALIZE */
	}
}

/* ---- string instructions and MMIO ---- */

static void t_string_ram(struct gen *g)
{
	set_reg(g, REG_SI, scratch_pointer());
	set_reg(g, REG_DI, scratch_pointer());
	set_reg(g, REG_CX, one_in(16) ? 2048 : rnd() % 65);
	set_reg(g, REG_AX, interesting());
	b(g, one_in(4) ? 0xfd : 0xfc);
	prefixes(g, P66 | P67 | PREP | PSEG | PREXW);
	static const u8 ops[] = { 0xa4, 0xaa, 0xa6, 0xac, 0xae };
	b(g, ops[rnd() % 5] | (u8)(rnd() & 1));
}

/* An MMIO address and whether only aligned 4-byte accesses are allowed
 * there (the APICs; the hypervisor stops other sizes by design). Far
 * enough inside the device for 8 elements of 8 bytes either way. */
static unsigned long mmio_target(bool *apic)
{
	*apic = false;
	switch (rnd() % 6) {
	case 0: return TESTDEV + 0x80 + rnd() % 0xf00;
	case 1: return TESTDEV + (rnd() % 3) * 8;
	case 2: return PC_TESTDEV_MEM + 0x80 + rnd() % 0xff00;
	case 3: return UNBACKED + 0x80 + rnd() % 0x100000;
	case 4: {
		*apic = true;
		unsigned long off = (rnd() % 0x100) * 16;
		return LAPIC + (off == 0x300 ? 0x310 : off); /* no ICR low: no INIT or SIPI to itself */
	}
	default: *apic = true; return IOAPIC + (rnd() % 3) * 0x10;
	}
}

/* A 4-byte MOV at an APIC (the I/O APIC's window after selecting a register). */
static void apic_access(struct gen *g, unsigned long a, unsigned long v)
{
	v &= ~0x700ul; /* LVT and redirection delivery modes: fixed */
	if (a == IOAPIC + 0x10) {
		set_reg(g, REG_CX, rnd() % 0x40);
		set_reg(g, REG_AX, IOAPIC);
		bytes(g, 2, 0x89, 0x08);
	}
	set_reg(g, REG_AX, a);
	set_reg(g, REG_CX, v);
	bytes(g, 2, one_in(2) ? 0x89 : 0x8b, 0x08);
}

/* STOS or MOVS with one side MMIO (and the other RAM), maybe REP (F3). */
static void mmio_string(struct gen *g, unsigned long a)
{
	bool movs = one_in(2), from_mmio = one_in(2);
	set_reg(g, REG_SI, from_mmio ? a : scratch_pointer());
	set_reg(g, REG_DI, movs && from_mmio ? scratch_pointer() : a);
	set_reg(g, REG_CX, rnd() % 9);
	b(g, 0xfc); /* CLD: an earlier STD would walk out of the device */
	if (one_in(2))
		b(g, 0xf3);
	prefixes(g, P66 | P67 | (movs ? PSEG : 0) | PREXW);
	b(g, (movs ? 0xa4 : 0xaa) | (u8)(rnd() & 1));
}

/* Only instructions the hypervisor emulates on MMIO (GUEST-PLATFORM.md). */
static void t_mmio(struct gen *g)
{
	bool apic;
	unsigned long a = mmio_target(&apic), v = interesting();
	if (apic) {
		apic_access(g, a, v);
		return;
	}
	if (one_in(4)) {
		mmio_string(g, a);
		return;
	}
	set_reg(g, REG_AX, a);
	set_reg(g, REG_CX, v);
	unsigned used = prefixes(g, P66 | P67 | PSEG | PREXW);
	switch (rnd() % 5) {
	case 0: bytes(g, 2, 0x88 | (u8)(rnd() % 4), 0x08); break; /* MOV [rAX], CL / rCX and back */
	case 1: bytes(g, 3, 0x0f, 0xb6 | (u8)(rnd() & 1) | (u8)(rnd() & 8), 0x08); break; /* MOVZX / MOVSX */
	case 2: bytes(g, 2, 0x86 | (u8)(rnd() & 1), 0x08); break; /* XCHG */
	case 3: bytes(g, 4, 0xf0, 0x0f, 0xb0 | (u8)(rnd() & 1), 0x08); break; /* LOCK CMPXCHG */
	default: /* MOV [rAX], imm8 / imm16 / imm32 */
		if (one_in(2)) {
			bytes(g, 3, 0xc6, 0x00, (u8)v);
		} else {
			bytes(g, 2, 0xc7, 0x00);
			b(g, (u8)v);
			b(g, (u8)(v >> 8));
			if (!(used & P66) || (used & PREXW)) /* REX.W wins over 66: imm32 */
				bytes(g, 2, (u8)(v >> 16), (u8)(v >> 24));
		}
	}
}

/* ---- runs ---- */

static void (*const kinds[])(struct gen *) = {
	t_mov_cr, t_mov_cr, t_mov_dr, t_port, t_port, t_msr, t_msr, t_efer, t_cpuid, t_counters,
	t_cache_tlb, t_descriptors, t_virtualization, t_hypercall, t_misc, t_string_ram, t_mmio, t_mmio,
};

static void tail(struct gen *g)
{
#ifdef __x86_64__
	bytes(g, 6, 0xff, 0x25, 0, 0, 0, 0); /* JMP [RIP+0] */
	unsigned long target = (unsigned long)fuzz_return;
	for (int i = 0; i < 8; i++)
		b(g, (u8)(target >> (8 * i)));
#else
	bytes(g, 3, 0x2e, 0xff, 0x25); /* JMP CS:[fuzz_return_ptr]: DS may be anything */
	imm32(g, (u32)(unsigned long)&fuzz_return_ptr);
#endif
}

const u8 *fuzz_code_end(void)
{
	return code_end;
}

/* INT3 over what the previous run wrote beyond this one. */
static void finish(struct gen *g, struct fuzz_ctx *c)
{
	tail(g);
	for (u8 *p = g->p; p < code_end; p++)
		*p = 0xcc;
	code_end = g->p;
	c->code = FUZZ_CODE;
}

void templates(struct fuzz_ctx *c)
{
	static bool probed;
	if (!probed) {
		probed = true;
		have_monitor = cpuid(1, 0).ecx & (1u << 3);
		plain_svm = cpuid(0x80000000u, 0).eax >= 0x80000001u && (cpuid(0x80000001u, 0).ecx & (1u << 2));
	}
	struct gen g = { (u8 *)FUZZ_CODE };
	if (one_in(40)) {
		t_table_load(&g);
		c->flags &= ~(RFLAGS_TF | RFLAGS_IF); /* no #DB or interrupt before the tail */
	} else {
		for (int n = 1 + (int)(rnd() % 4); n > 0; n--)
			kinds[rnd() % (sizeof(kinds) / sizeof(kinds[0]))](&g);
	}
	c->cr3 = fuzz_template_cr3();
	finish(&g, c);
}

/* Bytes never kept in random runs: branches (they would leave the buffer),
 * HLT, OUT/OUTS (any port: the exit port, resets), MOV ESP, imm32. */
static bool banned(u8 x)
{
	return (x >= 0x70 && x <= 0x7f) || (x >= 0xe0 && x <= 0xe3) || (x >= 0xe8 && x <= 0xeb) || x == 0x9a ||
	       x == 0xc2 || x == 0xc3 || x == 0xca || x == 0xcb || x == 0xcf || x == 0xff || x == 0xf4 ||
	       x == 0xe6 || x == 0xe7 || x == 0xee || x == 0xef || x == 0x6e || x == 0x6f || x == 0xbc;
}

/* After 0F: Jcc rel32, SYSRET, SYSEXIT (to CPL 3 at a random RIP), MOV to CR
 * and DR (their templates restrict the values), group 7 (LGDT/LIDT of any
 * memory, MWAIT, VMCALL with any RAX), WRMSR (any MSR). */
static bool banned_0f(u8 x)
{
	return (x >= 0x80 && x <= 0x8f) || x == 0x07 || x == 0x35 || x == 0x22 || x == 0x23 || x == 0x01 ||
	       x == 0x30;
}

void random_bytes(struct fuzz_ctx *c)
{
	struct gen g = { (u8 *)FUZZ_CODE };
	int n = 4 + (int)(rnd() % 21);
	for (int i = 0; i < n; i++) {
		u8 x = (u8)rnd();
		g.p[i] = banned(x) ? 0x90 : x;
	}
	for (int i = 0; i + 1 < n; i++)
		if (g.p[i] == 0x0f && banned_0f(g.p[i + 1]))
			g.p[i + 1] = 0x90;
	g.p += n;
	/* An incomplete last instruction or trailing prefixes would swallow the
	 * tail; 16 NOPs absorb any (an instruction is at most 15 bytes). */
	for (int i = 0; i < 16; i++)
		b(&g, 0x90);
	c->cr3 = fuzz_random_cr3();
	finish(&g, c);
}
