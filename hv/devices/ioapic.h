/*
 * The IOAPIC at 0xFEC00000 (82093AA as QEMU presents it, version 0x20):
 * IOREGSEL at 0x00, IOWIN at 0x10, the EOI register at 0x40; registers ID
 * (0x00), version (0x01: 24 pins), arbitration (0x02) and the 24
 * redirection entries (0x10 + 2n: vector, delivery mode, destination mode,
 * delivery status, polarity, remote IRR, trigger mode, mask, destination).
 * An unmasked pin sends its message to the local APICs
 * (hv/devices/apic_bus.h): an edge on each assertion; a level while
 * asserted and remote IRR clear, which it then sets until an EOI of its
 * vector (ioapic_eoi, from the local APIC, or the EOI register).
 */
#ifndef HV_IOAPIC_H
#define HV_IOAPIC_H

#include "types.h"

struct vm;
struct vcpu;

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_SIZE 0x1000u
#define IOAPIC_PINS 24

struct ioapic {
	u32 index;              /* IOREGSEL */
	u8 id;
	u32 pins;               /* bit n: pin n is asserted (after polarity) */
	u64 redir[IOAPIC_PINS];
};

void ioapic_reset(struct vm *vm);
/* Pin `pin`'s input line is at `level` (called by hv/devices/isa_irq.c). */
void ioapic_set_irq(struct vm *vm, u32 pin, bool level);
/* A local APIC's EOI of a level-triggered `vector`: clears remote IRR, re-sends a pin still asserted. */
void ioapic_eoi(struct vm *vm, u8 vector);

u64 ioapic_read(struct vcpu *vcpu, u64 offset, u8 size);
void ioapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value);

#endif
