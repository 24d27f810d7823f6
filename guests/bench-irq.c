/* Interrupt figures (make bench, tools/bench-irq.sh), measured with the TSC
 * at the rate of the timing leaf 0x40000010: a fixed IPI's round trip
 * between two vCPUs, the latency from a TSC deadline to its handler, and
 * the self IPIs one vCPU takes per second. Prints `bench: NAME VALUE UNIT`. */
#include "guest.h"
#include "apic.h"
#include "hypercall.h"

#define PING 0x40
#define PONG 0x41
#define TIMER 0x50
#define STORM 0x60

static volatile u32 pongs, fired, storm, ap_ready;
static volatile u64 fired_tsc;
static volatile u64 storm_end;
static u64 tsc_khz;

static void on_ping(u8 v, struct irq_frame *f) { apic_send_ipi(0, PONG); apic_eoi(); }
static void on_pong(u8 v, struct irq_frame *f) { pongs++; apic_eoi(); }
static void on_timer(u8 v, struct irq_frame *f) { fired_tsc = rdtsc(); fired++; apic_eoi(); }

/* Each one sends the next until the time is up: the storm leaves no instruction between them. */
static void on_storm(u8 v, struct irq_frame *f)
{
	storm++;
	if (rdtsc() < storm_end)
		apic_send_ipi(0, ICR_SELF | STORM);
	apic_eoi();
}

static void ap(u32 index)
{
	idt_load();
	apic_enable(0xff);
	ap_ready = 1; /* a software-disabled APIC would drop the first ping */
	for (;;)
		__asm__ volatile("sti; hlt");
}

static u64 ns(u64 cycles)
{
	return cycles * 1000000 / tsc_khz;
}

static void ipi_roundtrip(u32 rounds)
{
	u64 start = rdtsc();
	for (u32 r = 0; r < rounds; r++) {
		u32 want = pongs + 1;
		apic_send_ipi(1, PING);
		while (pongs < want)
			__asm__ volatile("sti; hlt; cli");
	}
	u64 each = ns((rdtsc() - start) / rounds);
	print("bench: ipi-roundtrip %lu.%lu us\n", each / 1000, each % 1000 / 100);
}

static void timer_latency(u32 rounds)
{
	u64 sum = 0;
	apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | TIMER);
	for (u32 r = 0; r < rounds; r++) {
		u64 deadline = rdtsc() + tsc_khz; /* 1 ms ahead */
		u32 want = fired + 1;
		wrmsr(MSR_TSC_DEADLINE, deadline);
		while (fired < want)
			__asm__ volatile("sti; hlt; cli");
		sum += fired_tsc - deadline;
	}
	u64 each = ns(sum / rounds);
	print("bench: timer-to-handler %lu.%lu us\n", each / 1000, each % 1000 / 100);
}

static void irq_rate(u64 ms)
{
	storm = 0;
	storm_end = rdtsc() + ms * tsc_khz;
	apic_send_ipi(0, ICR_SELF | STORM);
	__asm__ volatile("sti");
	while (rdtsc() < storm_end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	u32 n = storm;
	print("bench: irqs-per-second %lu per-s\n", (u64)n * 1000 / ms);
}

void test_main(void)
{
	plan(1);
	struct cpuid_regs sig = cpuid(HV_CPUID_LEAF, 0);
	tsc_khz = sig.ebx == HV_CPUID_SIG_EBX ? cpuid(HV_CPUID_TIMING_LEAF, 0).eax : 0;
	if (!tsc_khz) {
		ok(false, "hv: the timing leaf gives the TSC rate");
		return;
	}
	u32 rounds = 200;
	apic_enable(0xff);
	irq_set_handler(PING, on_ping);
	irq_set_handler(PONG, on_pong);
	irq_set_handler(TIMER, on_timer);
	irq_set_handler(STORM, on_storm);
	if (!smp_start_aps(2, ap)) {
		ok(false, "the second vCPU started");
		return;
	}
	while (!ap_ready)
		__asm__ volatile("pause");
	ipi_roundtrip(rounds);
	timer_latency(rounds / 4 + 1);
	irq_rate(200);
	ok(true, "figures printed");
}
