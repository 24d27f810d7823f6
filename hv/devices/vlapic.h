/*
 * The guest's local APIC (GUEST-PLATFORM.md): an xAPIC register page at
 * 0xFEE00000 per vCPU. Registers are stored and read back; an IPI through
 * the ICR reaches other vCPUs of the same VM (INIT and SIPI start them,
 * hv/vm/vcpu_mp.c) and never a real CPU. Interrupt delivery (fixed IPIs, the
 * timer) is not emulated: a guest that asks for it is stopped with a
 * message rather than left waiting for an interrupt that never comes.
 * Accessed under vm->lock (every MMIO exit is).
 */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include "types.h"

#define VLAPIC_BASE 0xfee00000ull
#define VLAPIC_SIZE 0x1000ull

struct vcpu;

struct vlapic {
	u32 tpr, ldr, dfr, spiv, esr;
	u32 lvt[7];          /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
	u32 icr_low, icr_high;
	u32 timer_divide;
};

/* Power-on values (the APIC ID is the vCPU index). */
void vlapic_reset(struct vcpu *vcpu);

/* MMIO handlers (hv/devices/mmio.h); offset from VLAPIC_BASE. */
u64 vlapic_read(struct vcpu *vcpu, u64 offset, u8 size);
void vlapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value);

#endif
