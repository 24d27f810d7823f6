/* The PC's interrupt routing (hv/devices/isa_irq.h). */
#include "hv/devices/isa_irq.h"
#include "hv/devices/vpic.h"
#include "hv/devices/vioapic.h"
#include "hv/devices/pit.h"
#include "hv/devices/rtc.h"
#include "hv/cpu/time.h"
#include "hv/vm/vm.h"

#define ISA_PIC_LINES 16
#define PIT_LINE 0
#define PIT_IOAPIC_PIN 2 /* ISA IRQ0 is I/O APIC pin 2 (the MADT's interrupt source override) */

static u32 ioapic_pin(u32 line)
{
	return line == PIT_LINE ? PIT_IOAPIC_PIN : line;
}

static void ioapic_send(void *ctx, u32 dest, bool logical, u32 mode, u8 vector, bool level_trig)
{
	vlapic_deliver(ctx, dest, logical, (enum apic_delivery)mode, vector, level_trig);
}

static void ioapic_eoi(struct vm *vm, u8 vector)
{
	vioapic_eoi(&vm->ioapic, vector);
}

/* The 8259's INTR may have changed: when it rose, the vCPUs that take it look.
 * Only on the rise: a notification makes the vCPU come by before it enters,
 * and one at every poll of a high output would keep it from ever entering. */
static void pic_output_changed(struct vm *vm)
{
	bool high = vpic_output(&vm->pic), was = vm->isa_irq.pic_output;
	vm->isa_irq.pic_output = high;
	if (!high || was)
		return;
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (vlapic_accepts_extint(&vm->vcpus[i]))
			vcpu_mp_notify(&vm->vcpus[i]);
}

void isa_irq_reset(struct vm *vm)
{
	vm->isa_irq = (struct isa_irq){ 0 };
	vpic_reset(&vm->pic);
	vioapic_reset(&vm->ioapic, ioapic_send, vm);
	vlapic_set_eoi_hook(ioapic_eoi);
}

void isa_irq_set(struct vm *vm, u32 line, bool high)
{
	struct isa_irq *irq = &vm->isa_irq;
	u32 bit = 1u << line;

	if (line >= ISA_IRQ_LINES || high == !!(irq->level & bit))
		return; /* callers pass their own fixed line numbers; an unchanged level is no event */
	if (high)
		irq->edges[line]++;
	irq->level = high ? irq->level | bit : irq->level & ~bit;
	if (line < ISA_PIC_LINES) {
		vpic_set_irq(&vm->pic, line, high);
		pic_output_changed(vm);
	}
	vioapic_set_pin(&vm->ioapic, ioapic_pin(line), high);
}

bool isa_irq_level(const struct vm *vm, u32 line)
{
	return line < ISA_IRQ_LINES && (vm->isa_irq.level >> line) & 1;
}

/* The 8259s have 8-bit registers: a wider access reaches the next port too (as QEMU splits it). */
u32 isa_pic_read(struct vm *vm, u16 port, u8 size)
{
	u32 value = 0;
	for (u8 i = 0; i < size; i++)
		value |= (u32)vpic_read(&vm->pic, port + i) << (8 * i);
	return value;
}

void isa_pic_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	for (u8 i = 0; i < size; i++)
		vpic_write(&vm->pic, port + i, (u8)(value >> (8 * i)));
	pic_output_changed(vm);
}

/* 32-bit registers; a narrower read returns its part, a narrower write is taken as a 32-bit one (as QEMU). */
u64 isa_ioapic_read(struct vcpu *vcpu, u64 offset, u8 size)
{
	u32 value = vioapic_read(&vcpu->vm->ioapic, offset & ~3ull);
	return value >> (8 * (offset & 3));
}

void isa_ioapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	vioapic_write(&vcpu->vm->ioapic, offset & ~3ull, (u32)value);
}

void isa_irq_poll_timers(struct vm *vm, u64 now_ns)
{
	pit_poll(vm, now_ns);
	rtc_poll(vm, now_ns);
}

u64 isa_irq_next_timer(const struct vm *vm)
{
	return time_earlier(pit_next_ns(vm), rtc_next_ns(vm));
}

bool isa_irq_extint_pending(const struct vcpu *vcpu)
{
	return vlapic_accepts_extint(vcpu) && vpic_output(&vcpu->vm->pic);
}

u8 isa_irq_extint_ack(struct vcpu *vcpu)
{
	return vpic_intack(&vcpu->vm->pic);
}
