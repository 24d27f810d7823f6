/* The 8259A pair (hv/devices/pic.h). Edge inputs latch IRR on a rise; level inputs follow the line. */
#include "hv/devices/pic.h"
#include "hv/devices/apic_bus.h"
#include "hv/vm/vm.h"

#define ICW1 0x10
#define ICW1_ICW4 0x01
#define ICW1_SINGLE 0x02
#define ICW4_8086 0x01
#define ICW4_AEOI 0x02
#define OCW3 0x08
#define OCW3_RR 0x02
#define OCW3_RIS 0x01
#define OCW3_POLL 0x04
#define OCW3_ESMM 0x40
#define OCW3_SMM 0x20
#define ELCR_FIXED_EDGE_MASTER 0x07 /* IRQ 0, 1 and 2 are always edge-triggered */
#define ELCR_FIXED_EDGE_SLAVE 0x21  /* IRQ 8 and 13 likewise */

static u8 bit(u32 n) { return (u8)(1u << (n & 7)); }

/* The IRQ of highest priority in `bits`, 8 if none (priority runs from lowest + 1 round to lowest). */
static u32 highest(const struct pic_chip *c, u8 bits)
{
	for (u32 k = 1; k <= 8; k++) {
		u32 irq = (c->lowest + k) & 7;
		if (bits & bit(irq))
			return irq;
	}
	return 8;
}

/* The IRQ this chip would raise now, 8 if none: pending, unmasked, above everything in service. */
static u32 pending(const struct pic_chip *c)
{
	u32 irq = highest(c, c->irr & ~c->imr);
	if (irq == 8)
		return 8;
	/* special mask mode: masked in-service levels do not block; the master's cascade never blocks */
	u8 blocking = c->special_mask ? c->isr & ~c->imr : c->isr;
	u32 busy = highest(c, blocking);
	if (busy != 8 && ((busy - c->lowest - 1) & 7) <= ((irq - c->lowest - 1) & 7))
		return 8;
	return irq;
}

/* The cascade: the slave's INT is the master's IRQ 2; the master's INT goes to LINT0. */
static void update(struct vm *vm)
{
	struct pic *p = &vm->pic;
	bool slave_int = pending(&p->chip[1]) != 8;
	struct pic_chip *m = &p->chip[0];
	m->lines = slave_int ? m->lines | bit(PIC_CASCADE_IRQ) : m->lines & ~bit(PIC_CASCADE_IRQ);
	m->irr = slave_int ? m->irr | bit(PIC_CASCADE_IRQ) : m->irr & ~bit(PIC_CASCADE_IRQ);
	apic_bus_lint0(vm, pending(m) != 8);
}

static void chip_reset(struct pic_chip *c, u8 elcr)
{
	*c = (struct pic_chip){ .lowest = 7, .elcr = elcr };
}

void pic_reset(struct vm *vm)
{
	chip_reset(&vm->pic.chip[0], 0);
	chip_reset(&vm->pic.chip[1], 0);
}

static void chip_set_line(struct pic_chip *c, u32 irq, bool level)
{
	u8 b = bit(irq);
	bool was = c->lines & b;
	c->lines = level ? c->lines | b : c->lines & ~b;
	if (c->elcr & b)
		c->irr = level ? c->irr | b : c->irr & ~b;
	else if (level && !was)
		c->irr |= b;
}

void pic_set_irq(struct vm *vm, u32 irq, bool level)
{
	if (irq >= 16 || irq == PIC_CASCADE_IRQ)
		return; /* line 2 is the cascade: no device drives it */
	chip_set_line(&vm->pic.chip[irq / 8], irq, level);
	update(vm);
}

/* Takes the chip's highest pending IRQ into service; 8 if none. */
static u32 chip_ack(struct pic_chip *c)
{
	u32 irq = pending(c);
	if (irq == 8)
		return 8;
	if (!(c->elcr & bit(irq)))
		c->irr &= ~bit(irq); /* an edge is consumed; a level stays while the line is high */
	if (c->auto_eoi) {
		if (c->rotate_auto_eoi)
			c->lowest = (u8)irq;
	} else {
		c->isr |= bit(irq);
	}
	return irq;
}

u8 pic_acknowledge(struct vm *vm)
{
	struct pic_chip *m = &vm->pic.chip[0], *s = &vm->pic.chip[1];
	u32 irq = chip_ack(m);
	u8 vector;
	if (irq == 8)
		vector = m->vector_base | 7; /* spurious IRQ 7 */
	else if (irq != PIC_CASCADE_IRQ)
		vector = (u8)(m->vector_base | irq);
	else {
		u32 sirq = chip_ack(s);
		vector = (u8)(s->vector_base | (sirq == 8 ? 7 : sirq));
	}
	update(vm);
	return vector;
}

static void icw1(struct pic_chip *c, u8 v)
{
	u8 elcr = c->elcr;
	chip_reset(c, elcr); /* IMR, ISR and IRR cleared, IRQ 7 lowest, IRR selected for reading */
	c->icw4 = v & ICW1_ICW4;
	c->single = v & ICW1_SINGLE;
	c->init_step = 2;
}

/* OCW2: EOIs, rotations, priority. */
static void ocw2(struct pic_chip *c, u8 v)
{
	u32 level = v & 7, cmd = v >> 5;
	u32 irq;
	switch (cmd) {
	case 1: /* non-specific EOI */
	case 5: /* ... and rotate */
		irq = highest(c, c->isr);
		if (irq == 8)
			return;
		c->isr &= ~bit(irq);
		if (cmd == 5)
			c->lowest = (u8)irq;
		return;
	case 3: /* specific EOI */
	case 7: /* ... and rotate */
		c->isr &= ~bit(level);
		if (cmd == 7)
			c->lowest = (u8)level;
		return;
	case 4: c->rotate_auto_eoi = true; return;
	case 0: c->rotate_auto_eoi = false; return;
	case 6: c->lowest = (u8)level; return; /* set priority */
	default: return;                        /* 2: no operation */
	}
}

static void ocw3(struct pic_chip *c, u8 v)
{
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	c->poll = v & OCW3_POLL;
	if (v & OCW3_ESMM)
		c->special_mask = v & OCW3_SMM;
}

static void data_write(struct vm *vm, struct pic_chip *c, u8 v, bool master)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->init_step = c->single ? (c->icw4 ? 4 : 0) : 3;
		return;
	case 3: /* ICW3: the cascade wiring is fixed on a PC (slave on IRQ 2) */
		c->init_step = c->icw4 ? 4 : 0;
		return;
	case 4:
		if (!(v & ICW4_8086))
			vm_fail_device(vm, "8259 %s PIC: ICW4 selects 8080/8085 mode, which is not provided",
				       master ? "master" : "slave");
		c->auto_eoi = v & ICW4_AEOI;
		c->init_step = 0;
		return;
	default:
		c->imr = v; /* OCW1 */
	}
}

/* A poll command's read: 0x80 | IRQ when one is pending (and takes it into service), else 0. */
static u8 poll_read(struct vm *vm, struct pic_chip *c)
{
	c->poll = false;
	u32 irq = chip_ack(c);
	update(vm);
	return irq == 8 ? 0 : (u8)(0x80 | irq);
}

u32 pic_read(struct vm *vm, u16 port, u8 size)
{
	bool master = (port & ~1) == PIC_MASTER;
	struct pic_chip *c = &vm->pic.chip[master ? 0 : 1];
	if (c->poll)
		return poll_read(vm, c);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

void pic_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	bool master = (port & ~1) == PIC_MASTER;
	struct pic_chip *c = &vm->pic.chip[master ? 0 : 1];
	u8 v = (u8)value;
	if (port & 1)
		data_write(vm, c, v, master);
	else if (v & ICW1)
		icw1(c, v);
	else if (v & OCW3)
		ocw3(c, v);
	else
		ocw2(c, v);
	update(vm);
}

u32 pic_elcr_read(struct vm *vm, u16 port, u8 size)
{
	return vm->pic.chip[port - PIC_ELCR].elcr;
}

void pic_elcr_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	u32 n = port - PIC_ELCR;
	u8 fixed = n ? ELCR_FIXED_EDGE_SLAVE : ELCR_FIXED_EDGE_MASTER;
	vm->pic.chip[n].elcr = (u8)value & ~fixed;
}
