/*
 * The guest's I/O APIC (82093AA, as QEMU's ioapic shows it): 24 pins, the
 * register window at VIOAPIC_BASE (IOREGSEL at +0x00, IOWIN at +0x10, the
 * EOI register of version 0x20 at +0x40), ID, version and arbitration
 * registers, and a redirection entry per pin (vector, delivery mode,
 * destination and its mode, polarity, trigger mode, mask; delivery status
 * and remote IRR read-only).
 *
 * Pins are driven by their logical level (asserted or not): the devices
 * behind them know their polarity, the polarity bit is only stored (QEMU
 * does the same). An edge pin delivers on assertion when unmasked (a masked
 * edge is lost); a level pin delivers while asserted, unmasked and its
 * remote IRR is clear, which the local APIC's EOI of its vector clears.
 *
 * The model has no lock and no VM: its owner (hv/devices/isa_irq.c) holds
 * vm->lock around every call and gives it the function that sends the
 * interrupt message to the local APICs.
 */
#ifndef HV_VIOAPIC_H
#define HV_VIOAPIC_H

#include "types.h"

#define VIOAPIC_BASE 0xfec00000ull
#define VIOAPIC_SIZE 0x1000ull
#define VIOAPIC_PINS 24
#define VIOAPIC_VERSION 0x20

/* Redirection entry bits (low word). */
#define VIOAPIC_RTE_DELIVERY_SHIFT 8
#define VIOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define VIOAPIC_RTE_DELIVERY_STATUS (1ull << 12)
#define VIOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define VIOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define VIOAPIC_RTE_LEVEL (1ull << 15)
#define VIOAPIC_RTE_MASKED (1ull << 16)
#define VIOAPIC_RTE_DEST_SHIFT 56

/* An interrupt message to the local APICs: destination (8 bits), logical
 * or physical, delivery mode (enum apic_delivery), vector, level-triggered. */
typedef void vioapic_send_fn(void *ctx, u32 dest, bool logical, u32 mode, u8 vector, bool level_trig);

struct vioapic {
	u32 id;          /* bits 27:24 of register 0 */
	u32 regsel;      /* IOREGSEL */
	u32 line;        /* bit n: pin n's input is asserted */
	u32 irr;         /* bit n: pin n requests a message (level: the line; edge: latched until sent) */
	u64 rte[VIOAPIC_PINS];
	vioapic_send_fn *send;
	void *send_ctx;
};

/* Power-on state: ID 0, every pin masked. */
void vioapic_reset(struct vioapic *io, vioapic_send_fn *send, void *send_ctx);

/* Drives pin `pin` (< VIOAPIC_PINS). */
void vioapic_set_pin(struct vioapic *io, u32 pin, bool asserted);

/* The local APICs' EOI of a level-triggered `vector` (and the EOI register). */
void vioapic_eoi(struct vioapic *io, u8 vector);

/* MMIO at offset from VIOAPIC_BASE; 32-bit registers, other sizes as QEMU takes them. */
u32 vioapic_read(struct vioapic *io, u64 offset);
void vioapic_write(struct vioapic *io, u64 offset, u32 value);

#endif
