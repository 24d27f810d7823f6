/* Emulating an MMIO access (hv/devices/mmio.h). */
#include "hv/devices/mmio.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/emulate/insn_decode.h"
#include "hv/emulate/guest_insn.h"
#include "hv/vm/vm_memory.h"
#include "hv/devices/vlapic.h"
#include "hv/devices/pc_testdev.h"


static const struct mmio_device devices[] = {
	{ TESTDEV_BASE, TESTDEV_SIZE, "testdev", testdev_read, testdev_write, NULL },
	{ VLAPIC_BASE, VLAPIC_SIZE, "local APIC", vlapic_read, vlapic_write, NULL },
	{ PC_TESTDEV_IOMEM, PC_TESTDEV_IOMEM_SIZE, "pc-testdev memory", pc_testdev_iomem_read,
	  pc_testdev_iomem_write, pc_testdev_present },
};

/*
 * Where no device is: a write to a read-only slot is ignored (ROM), and
 * outside the device hole an address with no RAM reads all-ones and
 * ignores writes, as on QEMU (include/hypercall.h, HC_MEMSLOT). Offsets
 * are guest-physical addresses (base 0).
 */
static u64 rom_read(struct vcpu *vcpu, u64 gpa, u8 size)
{
	u64 v = 0;
	vm_read_gpa(vcpu->vm, gpa, &v, size);
	return v;
}

static void rom_write(struct vcpu *vcpu, u64 gpa, u8 size, u64 value)
{
	vcpu->vm->stats.rom_writes++;
}

static u64 unbacked_read(struct vcpu *vcpu, u64 gpa, u8 size)
{
	vcpu->vm->stats.mmio_unbacked++;
	return ~0ull;
}

static void unbacked_write(struct vcpu *vcpu, u64 gpa, u8 size, u64 value)
{
	vcpu->vm->stats.mmio_unbacked++;
}

static const struct mmio_device rom = { 0, ~0ull, "read-only slot", rom_read, rom_write, NULL };
static const struct mmio_device unbacked = { 0, ~0ull, "no RAM", unbacked_read, unbacked_write, NULL };

static const struct mmio_device *find_device(struct vm *vm, u64 gpa)
{
	for (u32 i = 0; i < ARRAY_SIZE(devices); i++) {
		const struct mmio_device *d = &devices[i];
		if (gpa >= d->base && gpa - d->base < d->size && (!d->present || d->present(vm)))
			return d;
	}
	if (vm_gpa_is_rom(vm, gpa))
		return &rom;
	if (gpa < HC_DEVICE_HOLE_START || gpa >= HC_DEVICE_HOLE_END)
		return &unbacked;
	return NULL;
}

static u64 size_mask(u8 size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

void mmio_exit(struct vcpu *vcpu, u64 gpa)
{
	struct vm *vm = vcpu->vm;
	const struct mmio_device *dev = find_device(vm, gpa);
	struct vcpu_sregs s;
	struct mmio_insn in;
	u8 bytes[INSN_MAX_LEN];
	char err[96];

	vm->stats.mmio_accesses++;
	if (!dev) {
		vm_fail(vcpu, "access to guest-physical 0x%lx, where there is neither RAM nor a device", gpa);
		return;
	}
	vendor->get_sregs(vcpu, &s);
	u32 n = guest_fetch_insn(vcpu, &s, bytes, sizeof(bytes));
	if (insn_decode(bytes, n, guest_code_mode(&s), &in, err, sizeof(err)) != INSN_OK) {
		vm_fail(vcpu, "cannot emulate the %s access at 0x%lx: %s", dev->name, gpa, err);
		return;
	}
	u64 offset = gpa - dev->base;
	u64 *reg = &vcpu->regs.gpr[in.reg];
	if (in.write)
		dev->write(vcpu, offset, in.size, insn_store_value(&in, vcpu->regs.gpr) & size_mask(in.size));
	else
		*reg = insn_load_result(&in, *reg, dev->read(vcpu, offset, in.size));
	vcpu->regs.rip += in.len;
}
