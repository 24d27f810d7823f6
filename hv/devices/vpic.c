/* The guest's 8259A pair (hv/devices/vpic.h). */
#include "hv/devices/vpic.h"
#include "kstring.h"

#define MASTER 0
#define SLAVE 1
#define NO_IRQ 8 /* get_priority(): nothing requested */

#define ICW1 0x10       /* command port, bit 4: initialization */
#define ICW1_ICW4 0x01
#define ICW1_SINGLE 0x02
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
#define OCW3 0x08       /* command port, bit 3 (bit 4 clear): OCW3, else OCW2 */
#define OCW3_POLL 0x04
#define OCW3_RR 0x02    /* bit 0 then selects ISR (1) or IRR (0) */
#define OCW3_ESMM 0x40  /* bit 5 then sets or clears special mask mode */

/* Distance of the highest-priority bit of mask from the rotation point, NO_IRQ when none. */
static int get_priority(const struct vpic_chip *c, u8 mask)
{
	if (!mask)
		return NO_IRQ;
	int p = 0;
	while (!(mask & (1u << ((p + c->priority_add) & 7))))
		p++;
	return p;
}

/* The IRQ this chip would raise now, or -1: a request that outranks what is in service. */
static int chip_pending(const struct vpic_chip *c, bool is_master)
{
	int p = get_priority(c, c->irr & ~c->imr);
	if (p == NO_IRQ)
		return -1;
	u8 in_service = c->isr;
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Fully nested from the slave: its later requests may interrupt its earlier ones. */
	if (c->special_fully_nested && is_master)
		in_service &= ~(1u << VPIC_CASCADE_IRQ);
	return p < get_priority(c, in_service) ? (p + c->priority_add) & 7 : -1;
}

static void chip_set_input(struct vpic_chip *c, u32 irq, bool level)
{
	u8 bit = 1u << irq;
	if (c->elcr & bit) {
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	} else if (level && !(c->line & bit)) {
		c->irr |= bit; /* a rising edge is latched until acknowledged */
	}
	c->line = level ? c->line | bit : c->line & ~bit;
}

/* The slave's output is the master's IRQ2 input (an edge input: a rising
 * output is latched there until the master acknowledges it). */
static void cascade(struct vpic *pic)
{
	chip_set_input(&pic->chip[MASTER], VPIC_CASCADE_IRQ, chip_pending(&pic->chip[SLAVE], false) >= 0);
}

void vpic_reset(struct vpic *pic)
{
	memset(pic, 0, sizeof(*pic));
	/* IRQ0, 1, 2 (timer, keyboard, cascade) and IRQ8, 13 are edge-triggered on a PC. */
	pic->chip[MASTER].elcr_mask = 0xf8;
	pic->chip[SLAVE].elcr_mask = 0xde;
}

void vpic_set_irq(struct vpic *pic, u32 irq, bool level)
{
	if (irq >= 16 || irq == VPIC_CASCADE_IRQ)
		return; /* IRQ2 is the slave's: no device drives it */
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
	cascade(pic);
}

bool vpic_output(const struct vpic *pic)
{
	return chip_pending(&pic->chip[MASTER], true) >= 0;
}

/* The INTA cycle on one chip: into service (unless automatic EOI), edges consumed. */
static void chip_ack(struct vpic_chip *c, int irq)
{
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= 1u << irq;
	}
	if (!(c->elcr & (1u << irq)))
		c->irr &= ~(1u << irq); /* a level request stays while its line is high */
}

u8 vpic_intack(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[MASTER], *s = &pic->chip[SLAVE];
	int irq = chip_pending(m, true);
	u8 vector;

	if (irq < 0)
		return m->vector_base + 7; /* the request went away: spurious IRQ7 */
	chip_ack(m, irq);
	if (irq == VPIC_CASCADE_IRQ) {
		int sirq = chip_pending(s, false);
		if (sirq >= 0)
			chip_ack(s, sirq);
		vector = s->vector_base + (sirq >= 0 ? sirq : 7);
	} else {
		vector = m->vector_base + irq;
	}
	cascade(pic);
	return vector;
}

/* OCW2: the EOI commands and priority rotation. */
static void write_ocw2(struct vpic_chip *c, u8 value)
{
	u8 cmd = value >> 5;
	int irq;

	switch (cmd) {
	case 0: /* rotate in automatic EOI mode: clear */
	case 4: /* ... set */
		c->rotate_on_auto_eoi = cmd == 4;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		if (get_priority(c, c->isr) == NO_IRQ)
			break;
		irq = (get_priority(c, c->isr) + c->priority_add) & 7;
		c->isr &= ~(1u << irq);
		if (cmd == 5)
			c->priority_add = (irq + 1) & 7;
		break;
	case 3: /* specific EOI */
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << (value & 7));
		if (cmd == 7)
			c->priority_add = ((value & 7) + 1) & 7;
		break;
	case 6: /* set priority: value & 7 becomes the lowest */
		c->priority_add = ((value & 7) + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void write_command(struct vpic_chip *c, u8 value)
{
	if (value & ICW1) {
		u8 elcr = c->elcr, elcr_mask = c->elcr_mask, irr = c->irr & c->elcr, line = c->line;
		memset(c, 0, sizeof(*c));
		c->elcr = elcr;
		c->elcr_mask = elcr_mask;
		c->irr = irr; /* level requests outlive the reset; edges are lost */
		c->line = line;
		c->init_step = 1;
		c->icw4_needed = value & ICW1_ICW4;
		c->single = value & ICW1_SINGLE;
	} else if (value & OCW3) {
		if (value & OCW3_POLL)
			c->poll = true;
		if (value & OCW3_RR)
			c->read_isr = value & 1;
		if (value & OCW3_ESMM)
			c->special_mask = (value >> 5) & 1;
	} else {
		write_ocw2(c, value);
	}
}

static void write_data(struct vpic_chip *c, u8 value)
{
	switch (c->init_step) {
	case 0: /* OCW1 */
		c->imr = value;
		break;
	case 1: /* ICW2 */
		c->vector_base = value & 0xf8;
		c->init_step = c->single ? (c->icw4_needed ? 3 : 0) : 2;
		break;
	case 2: /* ICW3: the wiring is fixed (slave on IRQ2) */
		c->init_step = c->icw4_needed ? 3 : 0;
		break;
	default: /* ICW4 */
		c->auto_eoi = value & ICW4_AEOI;
		c->special_fully_nested = value & ICW4_SFNM;
		c->init_step = 0;
		break;
	}
}

/* A poll read: the pending IRQ is acknowledged, 0x80 | irq; 0 when none. */
static u8 poll_read(struct vpic *pic, u32 chip)
{
	struct vpic_chip *c = &pic->chip[chip];
	int irq = chip_pending(c, chip == MASTER);
	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, irq);
	cascade(pic);
	return 0x80 | irq;
}

u8 vpic_read(struct vpic *pic, u16 port)
{
	switch (port) {
	case VPIC_ELCR_MASTER:
	case VPIC_ELCR_SLAVE:
		return pic->chip[port & 1].elcr;
	default:
		break;
	}
	u32 chip = port >= VPIC_SLAVE_CMD;
	struct vpic_chip *c = &pic->chip[chip];
	if (c->poll)
		return poll_read(pic, chip);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

void vpic_write(struct vpic *pic, u16 port, u8 value)
{
	switch (port) {
	case VPIC_ELCR_MASTER:
	case VPIC_ELCR_SLAVE: {
		struct vpic_chip *c = &pic->chip[port & 1];
		c->elcr = value & c->elcr_mask;
		break;
	}
	default: {
		struct vpic_chip *c = &pic->chip[port >= VPIC_SLAVE_CMD];
		if (port & 1)
			write_data(c, value);
		else
			write_command(c, value);
		break;
	}
	}
	cascade(pic);
}
