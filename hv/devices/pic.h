/*
 * The two 8259A PICs of a PC (ports 0x20/0x21 master, 0xA0/0xA1 slave on
 * the master's IRQ 2) and the edge/level control registers at 0x4D0/0x4D1:
 * the ICW1-ICW4 initialization (8086 mode; 8080 mode stops the VM naming
 * it), OCW1 masks, OCW2 non-specific, specific and rotating EOIs and the
 * priority setting, OCW3 reads of IRR or ISR, poll and special mask mode,
 * auto-EOI. The master's INT goes to LINT0 (hv/devices/apic_bus.h);
 * pic_acknowledge is the INTA cycle of an ExtINT.
 */
#ifndef HV_PIC_H
#define HV_PIC_H

#include "types.h"

struct vm;

#define PIC_MASTER 0x20
#define PIC_SLAVE 0xa0
#define PIC_ELCR 0x4d0
#define PIC_CASCADE_IRQ 2

struct pic_chip {
	u8 irr, isr, imr;
	u8 lines;           /* input levels */
	u8 elcr;            /* 1: level-triggered */
	u8 vector_base;     /* ICW2 & 0xF8 */
	u8 lowest;          /* the lowest-priority IRQ (7 after ICW1; rotations move it) */
	u8 init_step;       /* 0: initialized; 2, 3, 4: the ICW expected next */
	bool icw4, single, auto_eoi, rotate_auto_eoi, read_isr, poll, special_mask;
};

struct pic {
	struct pic_chip chip[2]; /* 0 master, 1 slave */
};

void pic_reset(struct vm *vm);
/* A line 0-15 changed level (called by hv/devices/isa_irq.c). */
void pic_set_irq(struct vm *vm, u32 irq, bool level);
/* INTA: the vector the PICs give for an ExtINT (the highest pending; IRQ 7's if none). */
u8 pic_acknowledge(struct vm *vm);

u32 pic_read(struct vm *vm, u16 port, u8 size);
void pic_write(struct vm *vm, u16 port, u8 size, u32 value);
u32 pic_elcr_read(struct vm *vm, u16 port, u8 size);
void pic_elcr_write(struct vm *vm, u16 port, u8 size, u32 value);

#endif
