/*
 * The MMIO test device (include/hypercall.h): three little-endian registers
 * in one page. An access lying entirely inside one register reaches those
 * bytes of it; any other access reads all-ones and its write is ignored.
 */
#include "hv/devices/mmio.h"
#include "hv/vm/vm.h"

struct testdev_reg {
	u64 offset;
	u8 width;      /* bytes */
	bool writable;
};

static const struct testdev_reg regs[] = {
	{ TESTDEV_SCRATCH, 8, true },
	{ TESTDEV_ID, 8, false },
	{ TESTDEV_BYTE, 1, true },
};

static u64 size_mask(u8 size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The register [offset, offset + size) lies in, or NULL. */
static const struct testdev_reg *find_reg(u64 offset, u8 size)
{
	for (u32 i = 0; i < ARRAY_SIZE(regs); i++) {
		if (offset >= regs[i].offset && offset + size <= regs[i].offset + regs[i].width)
			return &regs[i];
	}
	return NULL;
}

static u64 reg_get(const struct vm *vm, const struct testdev_reg *r)
{
	switch (r->offset) {
	case TESTDEV_SCRATCH: return vm->testdev_scratch;
	case TESTDEV_BYTE: return vm->testdev_byte;
	default: return TESTDEV_ID_VALUE;
	}
}

u64 testdev_read(struct vcpu *vcpu, u64 offset, u8 size)
{
	const struct testdev_reg *r = find_reg(offset, size);
	const struct vm *vm = vcpu->vm;

	if (!r)
		return size_mask(size);
	return (reg_get(vm, r) >> (8 * (offset - r->offset))) & size_mask(size);
}

void testdev_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	const struct testdev_reg *r = find_reg(offset, size);
	struct vm *vm = vcpu->vm;

	if (!r || !r->writable)
		return;
	if (r->offset == TESTDEV_BYTE) {
		vm->testdev_byte = (u8)value;
		return;
	}
	u32 shift = 8 * (u32)(offset - r->offset);
	u64 mask = size_mask(size) << shift;
	vm->testdev_scratch = (vm->testdev_scratch & ~mask) | ((value << shift) & mask);
}
