/*
 * What the IOAPIC and the 8259 PICs send to the local APICs: the seam the
 * virtual local APIC (hv/devices/vlapic.c, the interrupts work) connects.
 * Until it does, apic_bus_deliver stops the VM naming the interrupt (a
 * guest only gets there by unmasking an IOAPIC pin and raising it), and the
 * PICs' INT line is recorded for LINT0 (masked at reset: nothing is lost).
 * The local APIC calls ioapic_eoi (hv/devices/ioapic.h) at every EOI of a
 * level-triggered vector, and pic_acknowledge (hv/devices/pic.h) when it
 * takes an ExtINT.
 */
#ifndef HV_APIC_BUS_H
#define HV_APIC_BUS_H

#include "types.h"

struct vm;

/* An interrupt message as a redirection entry spells it (SDM 10.11.1 / 82093AA). */
struct apic_msg {
	u8 vector;
	u8 delivery_mode; /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
	bool logical;     /* destination mode */
	bool level;       /* trigger mode: the target must EOI back to the IOAPIC */
	u8 dest;          /* APIC ID, or logical destination */
	u8 pin;           /* the IOAPIC pin it came from (messages) */
};

void apic_bus_deliver(struct vm *vm, const struct apic_msg *msg);
/* The master PIC's INT output, wired to LINT0 of every local APIC (ExtINT). */
void apic_bus_lint0(struct vm *vm, bool level);

#endif
