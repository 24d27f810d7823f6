/*
 * Guest-physical accesses that hit no RAM: the instruction is fetched
 * through the guest's page tables, decoded (hv/emulate/insn_decode.h) and the
 * access handed to the device that claims the address. An address no
 * device claims stops the VM with that address.
 */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include "types.h"

struct vcpu;
struct vm;

/* Handlers run under vm->lock, for the vCPU that made the access. */
struct mmio_device {
	u64 base, size;
	const char *name;
	/* offset from base; size 1, 2, 4 or 8 */
	u64 (*read)(struct vcpu *vcpu, u64 offset, u8 size);
	void (*write)(struct vcpu *vcpu, u64 offset, u8 size, u64 value);
	bool (*present)(const struct vm *vm); /* NULL: always; false: the range is unclaimed */
};

/* The MMIO test device of include/hypercall.h (hv/devices/testdev.c). */
u64 testdev_read(struct vcpu *vcpu, u64 offset, u8 size);
void testdev_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value);

#endif
