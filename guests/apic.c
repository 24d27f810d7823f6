/* The local APIC of one vCPU (SDM vol. 3, ch. 11): registers and their
 * power-on values, self IPIs, the ESR, priorities (ISR/EOI order, TPR,
 * CR8), the STI shadow, and the x2APIC mode with its transitions. */
#include "guest.h"
#include "apic.h"

#define SPURIOUS 0xff
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)

static volatile u32 trace[16], ntrace;
static volatile unsigned long seen_rip;
static volatile u32 isr_seen;

static void record(u32 what)
{
	if (ntrace < 16)
		trace[ntrace++] = what;
}

static void count_and_eoi(u8 vector, struct irq_frame *f)
{
	record(vector);
	seen_rip = f->rip;
	isr_seen = apic_bit(APIC_ISR, vector);
	apic_eoi();
}

/* 0x50 takes a higher-class 0x90 while in service; both show in the ISR, EOI clears the highest. */
static void low_handler(u8 vector, struct irq_frame *f)
{
	record(0x50);
	__asm__ volatile("sti");
	apic_send_ipi(0, ICR_SELF | 0x90);
	__asm__ volatile("cli");
	record(apic_bit(APIC_ISR, 0x50) ? 0x1050 : 0);
	apic_eoi();
	record(0x150);
}

static void high_handler(u8 vector, struct irq_frame *f)
{
	record(0x90);
	record(apic_bit(APIC_ISR, 0x50) && apic_bit(APIC_ISR, 0x90) ? 0x1090 : 0);
	apic_eoi();
	record(apic_bit(APIC_ISR, 0x90) ? 0 : 0x190);
}

static bool same(const u32 *want, u32 n)
{
	if (ntrace != n)
		return false;
	for (u32 i = 0; i < n; i++)
		if (trace[i] != want[i])
			return false;
	return true;
}

static void show_trace(void)
{
	for (u32 i = 0; i < ntrace; i++)
		diag("trace[%u] = 0x%x", i, trace[i]);
}

static void power_on_values(void)
{
	u32 version = apic_read(APIC_VERSION);
	ok((version & 0xff) >= 0x10 && ((version >> 16) & 0xff) >= 5,
	   "version 0x%x: an integrated APIC with at least 6 LVT entries", version);
	bool clean = apic_read(APIC_TPR) == 0 && apic_read(APIC_LVT_TIMER) == LVT_MASKED &&
		     apic_read(APIC_LVT_ERROR) == LVT_MASKED && apic_read(APIC_TIMER_INITIAL) == 0 &&
		     apic_read(APIC_TIMER_CURRENT) == 0 && apic_read(APIC_DFR) == 0xffffffffu;
	for (u32 i = 0; i < 8; i++)
		clean &= !apic_read(APIC_ISR + i * 0x10) && !apic_read(APIC_IRR + i * 0x10);
	ok(clean, "power-on values: TPR 0, timer and error LVT masked, counts 0, DFR all ones, ISR/IRR empty");
	ok_eq(apic_id(), cpuid(1, 0).ebx >> 24, "APIC ID = CPUID.1:EBX[31:24]");
	apic_write(APIC_LDR, 0x01000000u);
	ok_eq(apic_read(APIC_LDR), 0x01000000u, "LDR holds a logical ID");
}

static void self_ipi(void)
{
	ntrace = 0;
	irq_set_handler(0x40, count_and_eoi);
	__asm__ volatile("sti");
	apic_send_ipi(0, ICR_SELF | 0x40);
	for (int i = 0; i < 1000 && !ntrace; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	ok(ntrace == 1 && trace[0] == 0x40 && isr_seen, "a self IPI arrives, in service in its handler");
	ok(!apic_bit(APIC_ISR, 0x40), "its EOI cleared the ISR");

	ntrace = 0;
	irq_set_handler(0x05, count_and_eoi); /* plain QEMU delivers it anyway */
	apic_write(APIC_ESR, 0);
	apic_send_ipi(0, ICR_SELF | 0x05); /* vectors 0-15 are illegal */
	__asm__ volatile("sti; nop; nop; cli");
	irq_set_handler(0x05, NULL);
	apic_write(APIC_ESR, 0);
	u32 esr = apic_read(APIC_ESR);
	ok((esr & ESR_SEND_ILLEGAL_VECTOR) && !ntrace,
	   "hv: an IPI with vector 5 is not sent and sets ESR bit 5 (send illegal vector): ESR 0x%x", esr);
	apic_write(APIC_ESR, 0);
	ok_eq(apic_read(APIC_ESR), 0u, "the next ESR write clears it");
}

static void nested(void)
{
	static const u32 want[] = { 0x50, 0x90, 0x1090, 0x190, 0x1050, 0x150 };
	ntrace = 0;
	irq_set_handler(0x50, low_handler);
	irq_set_handler(0x90, high_handler);
	apic_send_ipi(0, ICR_SELF | 0x50);
	__asm__ volatile("sti; nop; cli");
	if (!ok(same(want, 6), "a higher class nests into a lower one; EOI ends the highest in service first"))
		show_trace();
}

/* IF=1 throughout: the TPR alone holds the interrupt back. */
static void tpr_masks(void)
{
	ntrace = 0;
	irq_set_handler(0x45, count_and_eoi);
	apic_write(APIC_TPR, 0x50);
	__asm__ volatile("sti");
	apic_send_ipi(0, ICR_SELF | 0x45);
	for (int i = 0; i < 1000; i++)
		__asm__ volatile("pause");
	bool held = ntrace == 0 && apic_bit(APIC_IRR, 0x45);
	u32 ppr = apic_read(APIC_PPR);
	apic_write(APIC_TPR, 0x40);
	for (int i = 0; i < 1000; i++)
		__asm__ volatile("pause");
	bool still = ntrace == 0; /* class 4 is not above TPR class 4 */
	apic_write(APIC_TPR, 0);
	for (int i = 0; i < 1000 && !ntrace; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	ok(held && ppr == 0x50 && still && ntrace == 1,
	   "TPR 0x50 and 0x40 hold vector 0x45 pending (PPR 0x%x); TPR 0 lets it in", ppr);
}

static void cr8(void)
{
	unsigned long v;
	ntrace = 0;
	irq_set_handler(0x55, count_and_eoi);
	__asm__ volatile("mov %0, %%cr8" ::"r"(6ul));
	u32 tpr = apic_read(APIC_TPR);
	apic_write(APIC_TPR, 0x30);
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	ok(tpr == 0x60 && v == 3, "CR8 is TPR[7:4] (CR8 6 -> TPR 0x%x; TPR 0x30 -> CR8 %lu)", tpr, v);
	__asm__ volatile("mov %0, %%cr8" ::"r"(6ul));
	__asm__ volatile("sti");
	apic_send_ipi(0, ICR_SELF | 0x55);
	for (int i = 0; i < 1000; i++)
		__asm__ volatile("pause");
	bool held = ntrace == 0;
	__asm__ volatile("mov %0, %%cr8" ::"r"(0ul));
	for (int i = 0; i < 1000 && !ntrace; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	ok(held && ntrace == 1, "CR8 6 holds vector 0x55; CR8 0 lets it in at once");
}

/* Pending with IF=0: `sti; nop` takes it after the NOP, never between the two. */
static void sti_shadow(void)
{
	unsigned long after;
	ntrace = 0;
	seen_rip = 0;
	irq_set_handler(0x70, count_and_eoi);
	apic_send_ipi(0, ICR_SELF | 0x70);
	bool pending = apic_bit(APIC_IRR, 0x70) && ntrace == 0;
	__asm__ volatile("lea 1f(%%rip), %0\n\tsti\n\tnop\n1:\tcli" : "=r"(after));
	ok(pending && ntrace == 1 && seen_rip == after,
	   "a pending interrupt arrives right after `sti; nop` (at 0x%lx, expected 0x%lx)", seen_rip, after);
}

static void gp_write(void *arg)
{
	u64 *a = arg;
	wrmsr((u32)a[0], a[1]);
}

static void gp_read(void *arg)
{
	rdmsr(*(u32 *)arg);
}

static void x2apic(void)
{
	if (!apic_enter_x2apic()) {
		for (int i = 0; i < 7; i++)
			skip("no x2APIC (CPUID.1:ECX[21] clear)", "x2APIC test %d", i + 1);
		return;
	}
	ok(apic_read(APIC_ID) == 0 && apic_read(APIC_LDR) == 1,
	   "x2APIC: ID 0 and derived LDR 0x%x (cluster 0, bit 0)", apic_read(APIC_LDR));
	ok(*(volatile u32 *)(LAPIC_BASE + APIC_VERSION) != apic_read(APIC_VERSION),
	   "x2APIC: the MMIO page is no longer the APIC");
	ntrace = 0;
	irq_set_handler(0x41, count_and_eoi);
	__asm__ volatile("sti");
	wrmsr(0x83f, 0x41); /* SELF IPI */
	for (int i = 0; i < 1000 && !ntrace; i++)
		__asm__ volatile("pause");
	wrmsr(0x830, ICR_SELF | 0x41); /* ICR: one 64-bit register */
	for (int i = 0; i < 1000 && ntrace < 2; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	ok_eq(ntrace, 2u, "x2APIC: SELF IPI (0x83F) and the 64-bit ICR deliver");
	u32 reserved = 0x801;
	u64 write_id[2] = { 0x802, 5 }, eoi_nonzero[2] = { 0x80b, 1 };
	ok(catch_exception(gp_read, &reserved) == EXC_GP && catch_exception(gp_write, write_id) == EXC_GP &&
	   catch_exception(gp_write, eoi_nonzero) == EXC_GP,
	   "x2APIC: a reserved MSR, a write to the ID and a non-zero EOI raise #GP");
	u64 to_xapic[2] = { MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) & ~APIC_BASE_EXTD) };
	ok(catch_exception(gp_write, to_xapic) == EXC_GP, "x2APIC -> xAPIC directly raises #GP");
	apic_write(APIC_TPR, 0x20);
	apic_enter_xapic();
	ok(apic_read(APIC_SPIV) == 0xff && apic_read(APIC_TPR) == 0 && apic_id() == 0,
	   "through disabled back to xAPIC: reset (SPIV 0x%x), ID 0 in bits 31:24", apic_read(APIC_SPIV));
	u64 extd_only[2] = { MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) & ~APIC_BASE_ENABLE) | APIC_BASE_EXTD };
	ok(catch_exception(gp_write, extd_only) == EXC_GP, "x2APIC without enable raises #GP");
	apic_enable(SPURIOUS);
}

void test_main(void)
{
	plan(20);
	power_on_values();
	apic_enable(SPURIOUS);
	self_ipi();
	nested();
	tpr_masks();
	cr8();
	sti_shadow();
	x2apic();
}
