/* ISA interrupt lines through both interrupt controllers of a PC, driven by
 * QEMU's pc-testdev (ports 0x2000 + line: 1 raises, 0 lowers):
 *   - the 8259 pair, initialized as Linux does (vectors 0x20 and 0x28),
 *     through LINT0 in ExtINT mode: an unmasked line interrupts once and
 *     waits for its EOI, a masked one waits in the IRR until unmasked, a
 *     slave line arrives through the cascade;
 *   - the I/O APIC with the 8259 masked: an edge pin to a chosen vCPU (the
 *     last one), and a level pin whose remote IRR holds it until the EOI and
 *     which arrives again while its line stays high;
 *   - the timed devices: PIT channel 0 in mode 2 interrupts through the
 *     8259 on its own, also waking HLT, and the RTC's periodic interrupt
 *     arrives through I/O APIC pin 8 until register C is read. */
#include "guest.h"
#include "apic.h"

#define PIC_BASE 0x20
#define SLAVE_BASE 0x28
#define IOAPIC 0xFEC00000ull
#define EDGE_PIN 5
#define EDGE_VECTOR 0x55
#define LEVEL_PIN 7
#define LEVEL_VECTOR 0x57
#define LEVEL_REPEATS 3
#define SPURIOUS 0xff
#define TESTS 13
#define PIT_VECTOR (PIC_BASE + 0)
#define RTC_VECTOR 0x58
#define RTC_PIN 8

static volatile u32 hits[256];
static volatile u32 hits_on[SMP_MAX_CPUS];
static volatile u32 remote_irr_in_handler;
static volatile u32 ap_ready;

static void line(u32 n, bool high)
{
	outb(0x2000 + n, high);
}

static u32 ioapic_read(u32 reg)
{
	*(volatile u32 *)IOAPIC = reg;
	return *(volatile u32 *)(IOAPIC + 0x10);
}

static void ioapic_write(u32 reg, u32 value)
{
	*(volatile u32 *)IOAPIC = reg;
	*(volatile u32 *)(IOAPIC + 0x10) = value;
}

static void pic_init(u8 master_mask, u8 slave_mask)
{
	static const u8 seq[][2] = { { 0x20, 0x11 }, { 0x21, PIC_BASE }, { 0x21, 0x04 }, { 0x21, 0x01 },
				     { 0xa0, 0x11 }, { 0xa1, SLAVE_BASE }, { 0xa1, 0x02 }, { 0xa1, 0x01 } };
	for (u32 i = 0; i < ARRAY_SIZE(seq); i++)
		outb(seq[i][0], seq[i][1]);
	outb(0x21, master_mask);
	outb(0xa1, slave_mask);
}

static void on_pic(u8 v, struct irq_frame *f)
{
	hits[v]++;
	line(v - PIC_BASE < 8 ? v - PIC_BASE : v - SLAVE_BASE + 8, false);
	if (v >= SLAVE_BASE)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

static void on_edge(u8 v, struct irq_frame *f)
{
	hits_on[apic_id()]++; /* before hits: the BSP waits for hits, then reads hits_on */
	hits[v]++;
	apic_eoi();
}

/* The line stays high for LEVEL_REPEATS deliveries, then the "device" lets go. */
static void on_level(u8 v, struct irq_frame *f)
{
	hits[v]++;
	if (ioapic_read(0x10 + 2 * LEVEL_PIN) & (1u << 14))
		remote_irr_in_handler++;
	if (hits[v] == LEVEL_REPEATS)
		line(LEVEL_PIN, false);
	apic_eoi();
}

static void on_pit(u8 v, struct irq_frame *f)
{
	hits[v]++;
	outb(0x20, 0x20);
}

static void on_rtc(u8 v, struct irq_frame *f)
{
	hits[v]++;
	outb(0x70, 0x0c); /* reading C acknowledges the interrupt and lowers IRQ 8 */
	(void)inb(0x71);
	apic_eoi();
}

static void wait_for(volatile u32 *counter, u32 want)
{
	for (u32 i = 0; i < 50000000 && *counter < want; i++)
		__asm__ volatile("pause");
}

static void ap_main(u32 index)
{
	idt_load();
	apic_enable(SPURIOUS);
	ap_ready = 1;
	for (;;)
		__asm__ volatile("sti; hlt; cli");
}

static void pic_part(void)
{
	pic_init(0xf7, 0xff); /* IRQ3 only */
	apic_write(APIC_LVT_LINT0, 0x700); /* ExtINT */
	__asm__ volatile("sti");
	line(3, true);
	wait_for(&hits[PIC_BASE + 3], 1);
	ok(hits[PIC_BASE + 3] == 1, "an unmasked 8259 line interrupts once at vector 0x23 (%u)", hits[PIC_BASE + 3]);

	outb(0x21, 0xff);
	line(3, true);
	outb(0x20, 0x0a); /* OCW3: read the IRR */
	u8 irr = inb(0x20);
	ok(hits[PIC_BASE + 3] == 1 && (irr & 0x08), "masked, it waits in the IRR (0x%x)", irr);
	outb(0x21, 0xf7);
	wait_for(&hits[PIC_BASE + 3], 2);
	ok(hits[PIC_BASE + 3] == 2, "unmasked, it arrives (%u)", hits[PIC_BASE + 3]);

	outb(0x21, 0xfb); /* the cascade */
	outb(0xa1, 0xfb); /* IRQ10 */
	line(10, true);
	wait_for(&hits[SLAVE_BASE + 2], 1);
	ok(hits[SLAVE_BASE + 2] == 1, "a slave line arrives through the cascade at 0x2a (%u)", hits[SLAVE_BASE + 2]);
	__asm__ volatile("cli");
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
}

static void ioapic_part(u32 cpus)
{
	u32 target = cpus - 1;
	u32 ver = ioapic_read(1);
	ok((ver & 0xff) == 0x20 && ((ver >> 16) & 0xff) == 23, "I/O APIC version 0x20 with 24 pins (0x%x)", ver);

	ioapic_write(0x11 + 2 * EDGE_PIN, target << 24);
	ioapic_write(0x10 + 2 * EDGE_PIN, EDGE_VECTOR);
	line(EDGE_PIN, true);
	wait_for(&hits[EDGE_VECTOR], 1);
	line(EDGE_PIN, false);
	ok(hits[EDGE_VECTOR] == 1 && hits_on[target] == 1, "an edge pin interrupts vCPU %u once (%u, %u there)",
	   target, hits[EDGE_VECTOR], hits_on[target]);
	line(EDGE_PIN, true);
	wait_for(&hits[EDGE_VECTOR], 2);
	line(EDGE_PIN, false);
	ok(hits[EDGE_VECTOR] == 2, "a second edge, a second interrupt (%u)", hits[EDGE_VECTOR]);

	ioapic_write(0x11 + 2 * LEVEL_PIN, 0);
	ioapic_write(0x10 + 2 * LEVEL_PIN, (1u << 15) | LEVEL_VECTOR); /* level, to vCPU 0 */
	__asm__ volatile("sti");
	line(LEVEL_PIN, true);
	wait_for(&hits[LEVEL_VECTOR], LEVEL_REPEATS);
	for (u32 i = 0; i < 100000; i++)
		__asm__ volatile("pause"); /* room for a wrong extra delivery */
	__asm__ volatile("cli");
	ok(hits[LEVEL_VECTOR] == LEVEL_REPEATS, "a level pin arrives again after each EOI while high, then stops (%u)",
	   hits[LEVEL_VECTOR]);
	ok(remote_irr_in_handler == LEVEL_REPEATS, "remote IRR is set while its interrupt is in service (%u)",
	   remote_irr_in_handler);
	ok(!(ioapic_read(0x10 + 2 * LEVEL_PIN) & (1u << 14)), "remote IRR is clear after the last EOI");
	ioapic_write(0x10 + 2 * LEVEL_PIN, 1u << 16);
	ioapic_write(0x10 + 2 * EDGE_PIN, 1u << 16);
}

/* PIT channel 0, mode 2, 10 ms, through the 8259; then the RTC's periodic interrupt through the I/O APIC. */
static void timers_part(void)
{
	pic_init(0xfe, 0xff); /* IRQ0 only */
	irq_set_handler(PIT_VECTOR, on_pit);
	irq_set_handler(RTC_VECTOR, on_rtc);
	apic_write(APIC_LVT_LINT0, 0x700);
	outb(0x43, 0x34);
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	__asm__ volatile("sti");
	wait_for(&hits[PIT_VECTOR], 3);
	ok(hits[PIT_VECTOR] >= 3, "PIT channel 0 interrupts on its own through the 8259 (%u)", hits[PIT_VECTOR]);
	u32 before = hits[PIT_VECTOR];
	__asm__ volatile("hlt");
	ok(hits[PIT_VECTOR] > before, "its interrupt wakes HLT");
	__asm__ volatile("cli");
	outb(0x43, 0x30); /* mode 0, no count: quiet */
	outb(0x21, 0xff);
	apic_write(APIC_LVT_LINT0, LVT_MASKED);

	ioapic_write(0x11 + 2 * RTC_PIN, 0);
	ioapic_write(0x10 + 2 * RTC_PIN, RTC_VECTOR); /* edge, to vCPU 0 */
	outb(0x70, 0x0a);
	outb(0x71, 0x2c); /* 32768 Hz base, rate 12: 16 Hz (an emulator runs a handler in about 1 ms) */
	outb(0x70, 0x0b);
	u8 b = inb(0x71);
	outb(0x70, 0x0b);
	outb(0x71, b | 0x40); /* PIE */
	outb(0x70, 0x0c);
	(void)inb(0x71);
	__asm__ volatile("sti");
	wait_for(&hits[RTC_VECTOR], 3);
	__asm__ volatile("cli");
	outb(0x70, 0x0b);
	outb(0x71, b);
	ioapic_write(0x10 + 2 * RTC_PIN, 1u << 16);
	ok(hits[RTC_VECTOR] >= 3, "the RTC's periodic interrupt arrives through I/O APIC pin 8 (%u)", hits[RTC_VECTOR]);
}

void test_main(void)
{
	plan(TESTS);
	u32 cpus = smp_cpu_count();
	for (u32 v = PIC_BASE; v < SLAVE_BASE + 8; v++)
		irq_set_handler((u8)v, on_pic);
	irq_set_handler(EDGE_VECTOR, on_edge);
	irq_set_handler(LEVEL_VECTOR, on_level);
	apic_enable(SPURIOUS);
	pic_part();
	if (cpus < 2 || !smp_start_aps(cpus, ap_main))
		bail_out("needs 2 vCPUs");
	wait_for(&ap_ready, 1);
	ioapic_part(cpus);
	timers_part();
}
