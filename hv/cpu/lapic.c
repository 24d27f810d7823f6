/* Local APIC access (Intel SDM vol. 3, chapter 11; AMD APM vol. 2, chapter 16). */
#include "hv/cpu/lapic.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/panic.h"
#include "hv/cpu/time.h"

#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define CPUID1_ECX_X2APIC (1u << 21)

/* Register offsets in the xAPIC page. */
#define REG_ID 0x20
#define REG_TPR 0x80
#define REG_EOI 0xB0
#define REG_SVR 0xF0
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3E0

#define SVR_APIC_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define TIMER_DIVIDE_BY_16 0x3
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_SEND_PENDING (1u << 12) /* xAPIC only */
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_WAIT_LIMIT 10000000u

#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1
#define CALIBRATE_NS (10 * NSEC_PER_MSEC)

static bool x2apic;
static volatile u32 *mmio; /* xAPIC register page (identity-mapped) */
static u64 timer_hz;       /* APIC timer ticks per second after the divide-by-16 */

static u32 reg_read(u32 off)
{
	if (x2apic)
		return (u32)rdmsr(MSR_X2APIC_FIRST + off / 16);
	return mmio[off / 4];
}

static void reg_write(u32 off, u32 v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_FIRST + off / 16, v);
	else
		mmio[off / 4] = v;
}

bool lapic_x2apic_mode(void)
{
	return x2apic;
}

/* Enables this CPU's APIC in the chosen mode and sets it up for our vectors. */
static void enable_this_cpu(void)
{
	u64 base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
	if (x2apic)
		base |= APIC_BASE_X2APIC; /* xAPIC -> x2APIC is allowed directly; never the reverse */
	wrmsr(MSR_APIC_BASE, base);
	reg_write(REG_TPR, 0);
	reg_write(REG_SVR, SVR_APIC_ENABLE | VECTOR_SPURIOUS);
	reg_write(REG_LVT_LINT0, LVT_MASKED); /* the legacy PIC's line: we use only APIC interrupts */
	reg_write(REG_LVT_TIMER, LVT_MASKED);
}

void lapic_init_bsp(u64 mmio_base)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	/* Firmware may already have switched to x2APIC; then we must stay there. */
	x2apic = (cpuid(1, 0).ecx & CPUID1_ECX_X2APIC) || (base & APIC_BASE_X2APIC);
	if (!x2apic) {
		u64 msr_base = base & APIC_BASE_ADDR_MASK;
		if (mmio_base && mmio_base != msr_base)
			log_warn("lapic: MADT says 0x%lx, IA32_APIC_BASE says 0x%lx; using the MSR\n",
				 (unsigned long)mmio_base, (unsigned long)msr_base);
		mmio = (volatile u32 *)(uintptr_t)msr_base;
	}
	outb(PIC1_DATA, 0xFF); /* mask every legacy PIC line: nothing may arrive as ExtINT */
	outb(PIC2_DATA, 0xFF);
	enable_this_cpu();
	kprintf("hv: lapic: %s mode, BSP APIC id %u\n", x2apic ? "x2APIC" : "xAPIC", lapic_id());
}

void lapic_init_ap(void)
{
	enable_this_cpu();
}

u32 lapic_id(void)
{
	u32 id = reg_read(REG_ID);
	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	reg_write(REG_EOI, 0);
}

static void send_icr(u32 dest, u32 low)
{
	if (dest == LAPIC_ALL_BUT_SELF) {
		low |= ICR_ALL_BUT_SELF;
		dest = 0;
	}
	if (x2apic) {
		wrmsr(MSR_X2APIC_FIRST + REG_ICR_LOW / 16, ((u64)dest << 32) | low);
		return;
	}
	mmio[REG_ICR_HIGH / 4] = dest << 24;
	mmio[REG_ICR_LOW / 4] = low;
	for (u32 i = 0; i < ICR_WAIT_LIMIT && (mmio[REG_ICR_LOW / 4] & ICR_SEND_PENDING); i++)
		cpu_relax();
}

void lapic_send_ipi(u32 dest, u8 vector)
{
	send_icr(dest, vector);
}

void lapic_send_init(u32 dest)
{
	send_icr(dest, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(u32 dest, u32 page)
{
	send_icr(dest, ICR_DELIVERY_STARTUP | ICR_LEVEL_ASSERT | (page & 0xFF));
}

void lapic_timer_calibrate(void)
{
	reg_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	reg_write(REG_LVT_TIMER, LVT_MASKED); /* one-shot, masked: we only read the count */
	reg_write(REG_TIMER_INITIAL, 0xFFFFFFFFu);
	time_delay_ns(CALIBRATE_NS);
	u32 elapsed = 0xFFFFFFFFu - reg_read(REG_TIMER_CURRENT);
	reg_write(REG_TIMER_INITIAL, 0);
	timer_hz = (u64)elapsed * (NSEC_PER_SEC / CALIBRATE_NS);
	if (timer_hz < 1000)
		panic("lapic: the APIC timer counted %u in 10 ms; it does not seem to run", elapsed);
	kprintf("hv: lapic: timer %lu kHz (divide by 16, calibrated against the TSC)\n",
		(unsigned long)(timer_hz / 1000));
}

void lapic_timer_oneshot_ns(u64 ns)
{
	u64 count = ns * timer_hz / NSEC_PER_SEC; /* ns < 2^34 here (a tick at most): no overflow */
	reg_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	reg_write(REG_LVT_TIMER, VECTOR_TIMER);
	reg_write(REG_TIMER_INITIAL, (u32)MIN(MAX(count, 1ull), 0xffffffffull));
}

void lapic_timer_start_periodic(u32 hz)
{
	reg_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	reg_write(REG_LVT_TIMER, LVT_TIMER_PERIODIC | VECTOR_TIMER);
	reg_write(REG_TIMER_INITIAL, (u32)MAX(timer_hz / hz, 1));
}
