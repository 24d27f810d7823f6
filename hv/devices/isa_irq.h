/*
 * The ISA interrupt lines 0-23 of a VM: devices (the PIT, the RTC, QEMU's
 * test device) drive a line's level here; the interrupt controllers read
 * it. Until the IOAPIC and the 8259 PICs exist (GUEST-PLATFORM.md) a line
 * only records its level and counts its rising edges: isa_irq_set is the
 * seam they will implement, every device calls it and nothing else.
 */
#ifndef HV_ISA_IRQ_H
#define HV_ISA_IRQ_H

#include "types.h"

struct vm;

#define ISA_IRQ_LINES 24 /* the IOAPIC's pins; 0-15 also reach the PICs */

struct isa_irq {
	u32 level;            /* bit n: line n is high */
	u32 edges[ISA_IRQ_LINES]; /* rising edges seen, per line (tests, statistics) */
};

/* Drives line `line` (< ISA_IRQ_LINES) to `high`; under vm->lock. */
void isa_irq_set(struct vm *vm, u32 line, bool high);
/* The line's current level. */
bool isa_irq_level(const struct vm *vm, u32 line);

#endif
