/*
 * The guest's two 8259A interrupt controllers, wired as a PC wires them: the
 * slave's output on the master's IRQ2, the master's output on the BSP's
 * LINT0 (ExtINT), ports 0x20/0x21 and 0xA0/0xA1, edge/level control (ELCR)
 * at 0x4D0/0x4D1. Behaviour as the 8259A datasheet and QEMU's i8259 define
 * it: ICW1-4 initialization, IMR, non-specific, specific and rotating EOIs,
 * automatic EOI, special mask mode, IRR/ISR reads and poll through OCW3.
 *
 * The model has no lock and no VM: its owner (hv/devices/isa_irq.c)
 * serializes the calls (vm->lock) and tells the CPU side when the output
 * changed (vpic_output).
 */
#ifndef HV_VPIC_H
#define HV_VPIC_H

#include "types.h"

#define VPIC_MASTER_CMD 0x20
#define VPIC_MASTER_DATA 0x21
#define VPIC_SLAVE_CMD 0xa0
#define VPIC_SLAVE_DATA 0xa1
#define VPIC_ELCR_MASTER 0x4d0
#define VPIC_ELCR_SLAVE 0x4d1
#define VPIC_CASCADE_IRQ 2

/* One 8259A. */
struct vpic_chip {
	u8 irr, isr, imr;
	u8 line;           /* input levels (edge detection) */
	u8 elcr;           /* 1: that input is level-triggered */
	u8 elcr_mask;      /* inputs whose trigger mode the ELCR can set */
	u8 vector_base;    /* ICW2: the vector of IRQ0 of this chip */
	u8 priority_add;   /* the lowest-priority IRQ is priority_add - 1 (rotation) */
	u8 init_step;      /* 0: operational; 1, 2, 3: ICW2, ICW3, ICW4 expected next */
	bool icw4_needed, single;
	bool auto_eoi, rotate_on_auto_eoi, special_fully_nested, special_mask;
	bool read_isr;     /* OCW3: the command port reads ISR (else IRR) */
	bool poll;         /* OCW3: the next read of the command port is a poll */
};

struct vpic {
	struct vpic_chip chip[2]; /* master, slave */
};

/* Power-on state: both chips uninitialized, everything clear. */
void vpic_reset(struct vpic *pic);

/* Drives input `irq` (0-15; 8-15 are the slave's). Edge inputs latch a rising edge. */
void vpic_set_irq(struct vpic *pic, u32 irq, bool level);

/* The master's INTR output: an unmasked request above what is in service. */
bool vpic_output(const struct vpic *pic);

/* The CPU's interrupt acknowledge: the vector to deliver (IRR -> ISR, or a
 * spurious IRQ7 / IRQ15 when the request went away meanwhile). */
u8 vpic_intack(struct vpic *pic);

/* Port accesses (8-bit; the owner routes VPIC_* ports here). */
u8 vpic_read(struct vpic *pic, u16 port);
void vpic_write(struct vpic *pic, u16 port, u8 value);

#endif
