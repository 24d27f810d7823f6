/* The local APIC from a guest (lib/apic.h). */
#include "apic.h"
#include "cpu.h"

bool apic_x2;

static volatile u32 *mmio(u32 offset)
{
	return (volatile u32 *)(LAPIC_BASE + offset);
}

u32 apic_read(u32 offset)
{
	return apic_x2 ? (u32)rdmsr(0x800 + (offset >> 4)) : *mmio(offset);
}

void apic_write(u32 offset, u32 value)
{
	if (apic_x2)
		wrmsr(0x800 + (offset >> 4), value);
	else
		*mmio(offset) = value;
}

void apic_send_ipi(u32 dest, u32 low)
{
	if (apic_x2) {
		wrmsr(0x830, (u64)dest << 32 | low);
		return;
	}
	*mmio(APIC_ICR_HIGH) = dest << 24;
	*mmio(APIC_ICR) = low;
	while (*mmio(APIC_ICR) & ICR_PENDING)
		__asm__ volatile("pause");
}

void apic_enable(u8 spurious_vector)
{
	/* Firmware (SeaBIOS on plain QEMU) routes the 8259's timer through LINT0: off. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SPIV, 0x100u | spurious_vector);
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

u32 apic_id(void)
{
	u32 id = apic_read(APIC_ID);
	return apic_x2 ? id : id >> 24;
}

bool apic_enter_x2apic(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC))
		return false;
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD | APIC_BASE_ENABLE);
	apic_x2 = true;
	return true;
}

void apic_enter_xapic(void)
{
	u64 base = rdmsr(MSR_APIC_BASE) & ~(APIC_BASE_EXTD | APIC_BASE_ENABLE);
	wrmsr(MSR_APIC_BASE, base);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	apic_x2 = false;
}

bool apic_bit(u32 base, u8 vector)
{
	return apic_read(base + (vector / 32) * 0x10) & (1u << (vector % 32));
}
