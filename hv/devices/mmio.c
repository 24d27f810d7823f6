/* Emulating an MMIO access (hv/devices/mmio.h). */
#include "hv/devices/mmio.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/emulate/insn_decode.h"
#include "hv/emulate/guest_insn.h"
#include "hv/vm/vm_memory.h"
#include "hv/devices/vlapic.h"
#include "hv/devices/pc_testdev.h"
#include "hv/devices/ioapic.h"


static const struct mmio_device devices[] = {
	{ TESTDEV_BASE, TESTDEV_SIZE, "testdev", testdev_read, testdev_write, NULL },
	{ VLAPIC_BASE, VLAPIC_SIZE, "local APIC", vlapic_read, vlapic_write, NULL },
	{ IOAPIC_BASE, IOAPIC_SIZE, "IOAPIC", ioapic_read, ioapic_write, NULL },
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

#define RFLAGS_ARITH 0x8d5ull /* CF PF AF ZF SF OF */

/* The flags of CMP a, b on `size`-byte operands, as CMPXCHG sets them. */
static u64 cmp_flags(u64 a, u64 b, u8 size)
{
	u64 mask = size_mask(size), top = 1ull << (8 * size - 1);
	u64 r = (a - b) & mask;
	u64 f = 0;
	a &= mask;
	b &= mask;
	f |= a < b ? 1ull << 0 : 0;                            /* CF */
	f |= __builtin_parity((u32)(r & 0xff)) ? 0 : 1ull << 2; /* PF: even parity */
	f |= ((a ^ b ^ r) & 0x10) ? 1ull << 4 : 0;              /* AF */
	f |= r == 0 ? 1ull << 6 : 0;                            /* ZF */
	f |= (r & top) ? 1ull << 7 : 0;                         /* SF */
	f |= ((a ^ b) & (a ^ r) & top) ? 1ull << 11 : 0;        /* OF */
	return f;
}

/* CMPXCHG: rAX against the device's value; equal: store the register, else rAX takes it. */
static void cmpxchg(struct vcpu *vcpu, const struct mmio_device *dev, u64 offset, const struct mmio_insn *in)
{
	u64 old = dev->read(vcpu, offset, in->size) & size_mask(in->size);
	u64 *rax = &vcpu->regs.gpr[GPR_RAX];
	u64 flags = cmp_flags(*rax, old, in->size);
	if (flags & (1ull << 6))
		dev->write(vcpu, offset, in->size, insn_store_value(in, vcpu->regs.gpr));
	else
		*rax = insn_load_result(&(struct mmio_insn){ .size = in->size, .dest_size = in->size }, *rax, old);
	vcpu->regs.rflags = (vcpu->regs.rflags & ~RFLAGS_ARITH) | flags;
}

/*
 * One element of STOS or MOVS (the exit says which side is the device: a
 * write fault is the destination). REP leaves RIP on the instruction until
 * rCX reaches 0, so each element is an exit of its own, or runs natively
 * once the addresses leave the device. False: the guest took a fault or
 * the VM stopped.
 */
static bool string_element(struct vcpu *vcpu, struct vcpu_sregs *s, const struct mmio_device *dev, u64 offset,
			   const struct mmio_insn *in, bool write_fault, bool *done)
{
	u64 *rsi = &vcpu->regs.gpr[GPR_RSI], *rdi = &vcpu->regs.gpr[GPR_RDI], *rcx = &vcpu->regs.gpr[GPR_RCX];
	u64 step = (vcpu->regs.rflags & RFLAGS_DF) ? -(u64)in->size : in->size;
	u64 value = vcpu->regs.gpr[GPR_RAX] & size_mask(in->size);

	if (in->op == INSN_OP_MOVS && write_fault) {
		u64 src = guest_string_linear(s, (enum vcpu_seg)in->seg, *rsi, in->addr_size);
		value = 0;
		if (!guest_copy_linear(vcpu, s, src, &value, in->size, false, "the MOVS source"))
			return false;
	}
	if (write_fault) {
		dev->write(vcpu, offset, in->size, value);
	} else {
		u64 dst = guest_string_linear(s, SEG_ES, *rdi, in->addr_size);
		value = dev->read(vcpu, offset, in->size);
		if (!guest_copy_linear(vcpu, s, dst, &value, in->size, true, "the MOVS destination"))
			return false;
	}
	if (in->op == INSN_OP_MOVS)
		set_addr_reg(rsi, *rsi + step, in->addr_size);
	set_addr_reg(rdi, *rdi + step, in->addr_size);
	if (in->rep)
		set_addr_reg(rcx, *rcx - 1, in->addr_size);
	*done = !in->rep || !(*rcx & size_mask(in->addr_size));
	return true;
}

/* Carries out the access; true when the instruction is complete (RIP moves past it). */
static bool emulate(struct vcpu *vcpu, struct vcpu_sregs *s, const struct mmio_device *dev, u64 offset,
		    const struct mmio_insn *in, bool write_fault)
{
	u64 *reg = &vcpu->regs.gpr[in->reg];
	bool done = true;

	switch (in->op) {
	case INSN_OP_MOV:
		if (in->write)
			dev->write(vcpu, offset, in->size, insn_store_value(in, vcpu->regs.gpr));
		else
			*reg = insn_load_result(in, *reg, dev->read(vcpu, offset, in->size));
		return true;
	case INSN_OP_XCHG: {
		u64 old = dev->read(vcpu, offset, in->size);
		dev->write(vcpu, offset, in->size, insn_store_value(in, vcpu->regs.gpr));
		*reg = insn_load_result(in, *reg, old);
		return true;
	}
	case INSN_OP_CMPXCHG:
		cmpxchg(vcpu, dev, offset, in);
		return true;
	case INSN_OP_STOS:
	case INSN_OP_MOVS:
		return string_element(vcpu, s, dev, offset, in, write_fault, &done) && done;
	}
	return true;
}

void mmio_exit(struct vcpu *vcpu, u64 gpa, bool write)
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
	if (emulate(vcpu, &s, dev, gpa - dev->base, &in, write))
		vcpu->regs.rip += in.len;
}
