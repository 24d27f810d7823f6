/*
 * The ISA interrupt lines 0-23 of a VM: devices (the PIT, the RTC, QEMU's
 * test device) drive a line's level here, and it reaches the interrupt
 * controllers as a PC wires them: lines 0-15 to the 8259 PICs (line 2 is
 * their cascade, so no device's), every line to the IOAPIC pin of the same
 * number except line 0, which goes to pin 2 (the MADT's override).
 */
#ifndef HV_ISA_IRQ_H
#define HV_ISA_IRQ_H

#include "types.h"

struct vm;

#define ISA_IRQ_LINES 24 /* the IOAPIC's pins; 0-15 also reach the PICs */

struct isa_irq {
	u32 level;            /* bit n: line n is high */
	u32 edges[ISA_IRQ_LINES]; /* rising edges seen, per line (tests, statistics) */
	bool pic_int;         /* the master PIC's INT output (hv/devices/apic_bus.h) */
};

/* Drives line `line` (< ISA_IRQ_LINES) to `high`; under vm->lock. */
void isa_irq_set(struct vm *vm, u32 line, bool high);
/* The line's current level. */
bool isa_irq_level(const struct vm *vm, u32 line);

#endif
