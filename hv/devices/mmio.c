/* Emulating an MMIO access (hv/devices/mmio.h). */
#include "hv/devices/mmio.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/emulate/insn_decode.h"
#include "hv/emulate/guest_insn.h"
#include "hv/vm/vm_memory.h"
#include "hv/devices/vlapic.h"


static const struct mmio_device devices[] = {
	{ TESTDEV_BASE, TESTDEV_SIZE, "testdev", testdev_read, testdev_write },
	{ VLAPIC_BASE, VLAPIC_SIZE, "local APIC", vlapic_read, vlapic_write },
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

static const struct mmio_device rom = { 0, ~0ull, "read-only slot", rom_read, rom_write };
static const struct mmio_device unbacked = { 0, ~0ull, "no RAM", unbacked_read, unbacked_write };

static const struct mmio_device *find_device(struct vm *vm, u64 gpa)
{
	for (u32 i = 0; i < ARRAY_SIZE(devices); i++) {
		if (gpa >= devices[i].base && gpa - devices[i].base < devices[i].size)
			return &devices[i];
	}
	if (vm_gpa_is_rom(vm, gpa))
		return &rom;
	if (gpa < HC_DEVICE_HOLE_START || gpa >= HC_DEVICE_HOLE_END)
		return &unbacked;
	return NULL;
}

/*
 * The guest-physical address the decoded instruction accesses, through the
 * guest's segments and page tables as they are now; false when it reaches
 * no memory at all. The byte that faulted may be on the second page of an
 * access crossing one: `gpa` names it.
 */
static bool operand_gpa(struct vcpu *vcpu, const struct vcpu_sregs *s, const struct mmio_insn *in, u64 gpa,
			u64 *out)
{
	bool code64 = sregs_64bit_code(s);
	u64 ea = insn_effective_address(in, vcpu->regs.gpr, vcpu->regs.rip);
	/* 64-bit code ignores every segment base but FS's and GS's (SDM vol. 1, 3.3.7.1). */
	bool based = !code64 || in->seg == INSN_SEG_FS || in->seg == INSN_SEG_GS;
	u64 linear = (based ? s->seg[in->seg].base : 0) + ea;
	if (!code64)
		linear &= 0xffffffffu;
	struct guest_paging pg = guest_paging_of(s);
	u32 access = (in->write ? GUEST_WRITE : GUEST_READ) | (s->cpl == 3 ? GUEST_USER : 0);
	struct guest_walk w;

	if ((linear ^ gpa) & (PAGE_SIZE - 1) && (linear & (PAGE_SIZE - 1)) + in->size > PAGE_SIZE)
		linear = (linear | (PAGE_SIZE - 1)) + 1; /* the faulting byte is on the next page */
	if (guest_walk(&pg, linear, access, guest_ram_read, vcpu->vm, &w) != GUEST_WALK_OK)
		return false;
	*out = w.gpa;
	return true;
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
	/* The exit named the address; the bytes at RIP are re-read now and may
	 * have changed since (another vCPU rewrote the code or the page tables):
	 * emulate only an instruction that accesses that very address. */
	u64 decoded;
	if (!operand_gpa(vcpu, &s, &in, gpa, &decoded) || decoded != gpa) {
		vm_fail(vcpu, "the instruction at RIP 0x%lx does not access 0x%lx, where the %s access faulted "
			"(code or page tables changed meanwhile?): not emulated",
			vcpu->regs.rip, gpa, dev->name);
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
