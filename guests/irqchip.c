/*
 * The interrupt controllers' registers, with interrupts off and nothing
 * delivered (delivery needs the local APIC's side): the 8259 pair
 * initialized as a BIOS does, masks, a pc-testdev IRQ line latching in IRR
 * (edge) and following the line (level, ELCR), OCW3 reads of IRR and ISR;
 * the IOAPIC's version, ID, redirection entries (read-only bits kept) and
 * a raised pin held back by its mask.
 */
#include "guest.h"

#define IOAPIC 0xFEC00000ul
#define TESTDEV_IRQ(n) (0x2000 + (n))

static volatile u32 *const ioregsel = (volatile u32 *)IOAPIC;
static volatile u32 *const iowin = (volatile u32 *)(IOAPIC + 0x10);

static u32 ioapic_reg(u32 index)
{
	*ioregsel = index;
	return *iowin;
}

static void ioapic_set(u32 index, u32 v)
{
	*ioregsel = index;
	*iowin = v;
}

static void init_pics(void)
{
	outb(0x20, 0x11), outb(0xA0, 0x11); /* ICW1: edge, cascade, ICW4 */
	outb(0x21, 0x20), outb(0xA1, 0x28); /* ICW2: vectors */
	outb(0x21, 0x04), outb(0xA1, 0x02); /* ICW3: slave on IRQ 2 */
	outb(0x21, 0x01), outb(0xA1, 0x01); /* ICW4: 8086 mode */
	outb(0x21, 0xFF), outb(0xA1, 0xFF); /* everything masked */
}

static u8 irr(u16 cmd)
{
	outb(cmd, 0x0A);
	return inb(cmd);
}

static u8 isr(u16 cmd)
{
	outb(cmd, 0x0B);
	return inb(cmd);
}

static void pics(void)
{
	init_pics();
	ok(inb(0x21) == 0xFF && inb(0xA1) == 0xFF, "8259: ICW1-4 then OCW1 masks read back");
	outb(TESTDEV_IRQ(5), 1);
	outb(TESTDEV_IRQ(5), 0);
	ok(irr(0x20) & 0x20, "8259: an edge on IRQ 5 (pc-testdev line) latches in IRR while masked");
	ok(!isr(0x20), "8259: nothing in service (ISR read through OCW3)");
	u8 elcr = inb(0x4D1);
	outb(0x4D1, elcr | 0x08);          /* IRQ 11 level-triggered */
	outb(TESTDEV_IRQ(11), 1);
	bool high = irr(0xA0) & 0x08;
	outb(TESTDEV_IRQ(11), 0);
	bool low = !(irr(0xA0) & 0x08);
	outb(0x4D1, elcr);
	ok(high && low, "8259: a level IRQ 11 (ELCR 0x4D1) follows its line in the slave's IRR");
	outb(0x20, 0x20);                  /* a non-specific EOI with nothing in service is harmless */
	ok(!isr(0x20) && !isr(0xA0), "8259: ISRs stay empty");
}

static void ioapic(void)
{
	ok(paging_map_4k(IOAPIC, IOAPIC, PTE_W | PTE_PCD | PTE_PWT), "the IOAPIC page is mapped uncached");
	u32 ver = ioapic_reg(0x01);
	ok((ver & 0xFF) >= 0x11 && ((ver >> 16) & 0xFF) == 23, "IOAPIC version 0x%x: 24 redirection entries", ver);
	ok(ioapic_reg(0x10) & 0x10000, "IOAPIC entries start masked");
	u32 old_lo = ioapic_reg(0x10 + 2 * 9), old_hi = ioapic_reg(0x11 + 2 * 9);
	ioapic_set(0x10 + 2 * 9, 0x0001A0C9); /* masked, level, active low, vector 0xC9 */
	ioapic_set(0x11 + 2 * 9, 0x02000000);
	ok(ioapic_reg(0x10 + 2 * 9) == 0x0001A0C9 && ioapic_reg(0x11 + 2 * 9) == 0x02000000,
	   "IOAPIC: a redirection entry reads back (0x%x 0x%x)", ioapic_reg(0x10 + 2 * 9), ioapic_reg(0x11 + 2 * 9));
	ioapic_set(0x10 + 2 * 10, 0x00010051); /* pin 10 masked, edge */
	outb(TESTDEV_IRQ(10), 1);
	outb(TESTDEV_IRQ(10), 0);
	ok(!(ioapic_reg(0x10 + 2 * 10) & 0x5000), "IOAPIC: a masked pin raised sends nothing (no delivery status, no remote IRR)");
	ioapic_set(0x10 + 2 * 9, old_lo);
	ioapic_set(0x11 + 2 * 9, old_hi);
}

void test_main(void)
{
	plan(10);
	__asm__ volatile("cli");
	pics();
	ioapic();
}
