/* QEMU's ISA test device (hv/devices/pc_testdev.h). */
#include "hv/devices/pc_testdev.h"
#include "hv/devices/isa_irq.h"
#include "hv/vm/vm.h"
#include "kstring.h"

bool pc_testdev_present(const struct vm *vm)
{
	return vm->pc_testdev.enabled;
}

static bool is_flush(u16 port)
{
	return port >= PC_TESTDEV_FLUSH && port < PC_TESTDEV_FLUSH + 4;
}

/* The latch bytes [port & 3, +size): both latch windows address it the same way. */
static u32 latch_mask(u16 port, u8 size)
{
	return (0xffffffffu >> (32 - 8 * size)) << (8 * (port & 3));
}

u32 pc_testdev_port_read(struct vm *vm, u16 port, u8 size)
{
	if (is_flush(port))
		return 0xffffffffu; /* write-only */
	return (vm->pc_testdev.latch & latch_mask(port, size)) >> (8 * (port & 3));
}

void pc_testdev_port_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	u32 mask = latch_mask(port, size);
	if (is_flush(port))
		return; /* the guest's TLB is flushed by the guest; nothing is cached here */
	vm->pc_testdev.latch = (vm->pc_testdev.latch & ~mask) | ((value << (8 * (port & 3))) & mask);
}

/* QEMU takes byte writes only here; a wider one drives the line of its first port. */
void pc_testdev_irq_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	isa_irq_set(vm, port - PC_TESTDEV_IRQ, (value & 0xff) != 0);
}

/* Bytes of the access that lie inside the 64 KiB (an access may run over its end). */
static u8 inside(u64 offset, u8 size)
{
	return (u8)MIN((u64)size, PC_TESTDEV_IOMEM_SIZE - offset);
}

u64 pc_testdev_iomem_read(struct vcpu *vcpu, u64 offset, u8 size)
{
	u64 v = 0;
	memcpy(&v, vcpu->vm->pc_testdev.iomem + offset, inside(offset, size));
	return v;
}

void pc_testdev_iomem_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	memcpy(vcpu->vm->pc_testdev.iomem + offset, &value, inside(offset, size));
}
