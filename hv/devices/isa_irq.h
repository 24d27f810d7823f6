/*
 * The PC's interrupt routing: ISA lines 0-23 driven by devices (the PIT, the
 * RTC, QEMU's test device), the two 8259s (hv/devices/vpic.h) on lines 0-15
 * and the I/O APIC (hv/devices/vioapic.h) on all of them, ISA IRQ0 on pin 2
 * as on every PC (the MADT says so). The 8259's output reaches each vCPU
 * whose local APIC accepts ExtINT on LINT0; the I/O APIC's messages go to
 * the local APICs, whose EOIs of level-triggered vectors come back here.
 * Every function runs under vm->lock.
 */
#ifndef HV_ISA_IRQ_H
#define HV_ISA_IRQ_H

#include "types.h"

struct vm;
struct vcpu;

#define ISA_IRQ_LINES 24 /* the IOAPIC's pins; 0-15 also reach the PICs */

struct isa_irq {
	u32 level;            /* bit n: line n is high */
	u32 edges[ISA_IRQ_LINES]; /* rising edges seen, per line (tests, statistics) */
	bool pic_output;      /* the 8259's INTR as last seen */
	bool pic_int;         /* the master PIC's INT output (hv/devices/apic_bus.h) */
};

/* Power-on state of the lines and both controllers. */
void isa_irq_reset(struct vm *vm);

/* Drives line `line` (< ISA_IRQ_LINES) to `high`. */
void isa_irq_set(struct vm *vm, u32 line, bool high);
/* The line's current level. */
bool isa_irq_level(const struct vm *vm, u32 line);

/* The 8259s' ports (0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1) and the I/O APIC's window. */
u32 isa_pic_read(struct vm *vm, u16 port, u8 size);
void isa_pic_write(struct vm *vm, u16 port, u8 size, u32 value);
u64 isa_ioapic_read(struct vcpu *vcpu, u64 offset, u8 size);
void isa_ioapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value);

/* The timed ISA devices (PIT channel 0, RTC) up to now; when the next of
 * their interrupts is due (ns), 0 when none can come. */
void isa_irq_poll_timers(struct vm *vm, u64 now_ns);
u64 isa_irq_next_timer(const struct vm *vm);

/* For the entry path: the 8259 has an interrupt for this vCPU; its INTA cycle (the vector). */
bool isa_irq_extint_pending(const struct vcpu *vcpu);
u8 isa_irq_extint_ack(struct vcpu *vcpu);

#endif
