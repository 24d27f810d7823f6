/*
 * Port I/O: the devices a guest finds at fixed ports (GUEST-PLATFORM.md).
 * A port no device claims reads all-ones and ignores writes; both counted.
 */
#ifndef HV_IO_H
#define HV_IO_H

#include "types.h"

struct vm;
struct vcpu;
struct vm_exit;

/* A device's ports [first, last]; `read` NULL = reads all-ones, `write` NULL = writes ignored. */
struct port_device {
	u16 first, last;
	const char *name;
	u32 (*read)(struct vm *vm, u16 port, u8 size);
	void (*write)(struct vm *vm, u16 port, u8 size, u32 value);
	bool (*present)(const struct vm *vm); /* NULL: always; false: the ports are unclaimed */
};

/* Emulate the IN or OUT of an EXIT_KIND_IO exit; true when the instruction is done. */
bool io_exit(struct vcpu *vcpu, const struct vm_exit *exit);
/* INS/OUTS (hv/devices/io_string.c): true when the instruction completed (skip it);
 * false when a REP goes on, the guest takes a fault, or the VM was stopped. */
bool io_string_exit(struct vcpu *vcpu, const struct vm_exit *exit);

/* What a read of `port` by a `size`-byte access returns, and a write (also used by tests). */
u32 io_read(struct vm *vm, u16 port, u8 size);
void io_write(struct vm *vm, u16 port, u8 size, u32 value);

#endif
