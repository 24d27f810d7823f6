/* The IOAPIC (hv/devices/ioapic.h): registers through IOREGSEL/IOWIN, messages to the APIC bus. */
#include "hv/devices/ioapic.h"
#include "hv/devices/apic_bus.h"
#include "hv/vm/vm.h"

#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARB 0x02
#define REG_REDIR 0x10
#define OFF_IOREGSEL 0x00
#define OFF_IOWIN 0x10
#define OFF_EOI 0x40
#define VERSION (0x20u | (IOAPIC_PINS - 1) << 16)
#define RTE_VECTOR 0xffull
#define RTE_DELIVERY_MODE (7ull << 8)
#define RTE_LOGICAL (1ull << 11)
#define RTE_DELIVERY_STATUS (1ull << 12)
#define RTE_ACTIVE_LOW (1ull << 13)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_DEST_SHIFT 56
#define RTE_READ_ONLY (RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)
#define RTE_WRITABLE (RTE_VECTOR | RTE_DELIVERY_MODE | RTE_LOGICAL | RTE_ACTIVE_LOW | RTE_LEVEL | RTE_MASKED | \
		      (0xffull << RTE_DEST_SHIFT))

void ioapic_reset(struct vm *vm)
{
	struct ioapic *io = &vm->ioapic;
	*io = (struct ioapic){ 0 };
	for (u32 i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = RTE_MASKED;
}

/* Sends pin's message if it may: unmasked, and for a level pin asserted with remote IRR clear. */
static void service(struct vm *vm, u32 pin)
{
	struct ioapic *io = &vm->ioapic;
	u64 e = io->redir[pin];
	if ((e & RTE_MASKED) || !(io->pins & (1u << pin)))
		return;
	if (e & RTE_LEVEL) {
		if (e & RTE_REMOTE_IRR)
			return;
		io->redir[pin] |= RTE_REMOTE_IRR;
	}
	struct apic_msg msg = {
		.vector = (u8)(e & RTE_VECTOR), .delivery_mode = (u8)((e & RTE_DELIVERY_MODE) >> 8),
		.logical = e & RTE_LOGICAL, .level = e & RTE_LEVEL, .dest = (u8)(e >> RTE_DEST_SHIFT), .pin = (u8)pin,
	};
	apic_bus_deliver(vm, &msg);
}

void ioapic_set_irq(struct vm *vm, u32 pin, bool level)
{
	struct ioapic *io = &vm->ioapic;
	if (pin >= IOAPIC_PINS)
		return;
	bool asserted = level != !!(io->redir[pin] & RTE_ACTIVE_LOW);
	bool was = io->pins & (1u << pin);
	io->pins = asserted ? io->pins | (1u << pin) : io->pins & ~(1u << pin);
	if (asserted && (!was || (io->redir[pin] & RTE_LEVEL)))
		service(vm, pin); /* an edge on the rise; a level whenever it may */
}

void ioapic_eoi(struct vm *vm, u8 vector)
{
	struct ioapic *io = &vm->ioapic;
	for (u32 pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 e = io->redir[pin];
		if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR) && (e & RTE_VECTOR) == vector) {
			io->redir[pin] &= ~RTE_REMOTE_IRR;
			service(vm, pin);
		}
	}
}

static u32 reg_read(const struct ioapic *io, u32 index)
{
	if (index == REG_ID)
		return (u32)io->id << 24;
	if (index == REG_VERSION)
		return VERSION;
	if (index == REG_ARB)
		return (u32)io->id << 24;
	u32 n = (index - REG_REDIR) / 2;
	if (index < REG_REDIR || n >= IOAPIC_PINS)
		return 0xffffffffu; /* no such register */
	return (u32)(io->redir[n] >> (index & 1 ? 32 : 0));
}

static void reg_write(struct vm *vm, u32 index, u32 v)
{
	struct ioapic *io = &vm->ioapic;
	if (index == REG_ID) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	u32 n = (index - REG_REDIR) / 2;
	if (index < REG_REDIR || n >= IOAPIC_PINS)
		return; /* version, arbitration and the rest are read-only */
	u64 half = index & 1 ? (u64)v << 32 : v, keep = index & 1 ? 0xffffffffull : 0xffffffffull << 32;
	u64 e = (io->redir[n] & keep) | (half & ~keep);
	io->redir[n] = (e & RTE_WRITABLE) | (io->redir[n] & RTE_READ_ONLY);
	if (!(io->redir[n] & RTE_LEVEL))
		io->redir[n] &= ~RTE_REMOTE_IRR; /* remote IRR means nothing for an edge pin */
	service(vm, n); /* unmasking a pin that is asserted (level) sends it now */
}

/* Registers are 32 bits wide; other accesses read all-ones and write nothing (QEMU likewise). */
u64 ioapic_read(struct vcpu *vcpu, u64 offset, u8 size)
{
	struct ioapic *io = &vcpu->vm->ioapic;
	if (size != 4)
		return ~0ull;
	if (offset == OFF_IOREGSEL)
		return io->index;
	if (offset == OFF_IOWIN)
		return reg_read(io, io->index);
	return ~0ull;
}

void ioapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	struct vm *vm = vcpu->vm;
	if (size != 4)
		return;
	if (offset == OFF_IOREGSEL)
		vm->ioapic.index = (u32)value & 0xff;
	else if (offset == OFF_IOWIN)
		reg_write(vm, vm->ioapic.index, (u32)value);
	else if (offset == OFF_EOI)
		ioapic_eoi(vm, (u8)value);
}
