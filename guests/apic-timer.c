/* The local APIC timer (SDM vol. 3, 11.5.4) measured against the TSC:
 * one-shot (current count, HLT woken by it, durations in proportion to the
 * count), periodic (the period holds over several ticks), masked, and
 * TSC-deadline. Under our hypervisor the rates of the timing leaf
 * 0x40000010 (include/hypercall.h) must match what the TSC measures. */
#include "guest.h"
#include "apic.h"
#include "hypercall.h"
#include "x86.h"

#define VEC 0x60
#define DIV1 0xb /* divide configuration: by 1 */

static volatile u32 ticks;
static volatile u64 tick_tsc[8];

static void on_tick(u8 vector, struct irq_frame *f)
{
	u64 t = rdtsc();
	if (ticks < 8)
		tick_tsc[ticks] = t;
	ticks++;
	apic_eoi();
}

/* Halts until `n` ticks arrived; the TSC when the last one did (0: a bound of HLTs passed first). */
static u64 wait_ticks(u32 n)
{
	for (int i = 0; i < 100000 && ticks < n; i++)
		__asm__ volatile("sti; hlt; cli");
	return ticks >= n ? tick_tsc[n - 1] : 0;
}

/* A one-shot of `count` (divide by 1) from arming to its interrupt, in TSC cycles. */
static u64 oneshot(u32 count)
{
	ticks = 0;
	apic_write(APIC_LVT_TIMER, VEC);
	u64 start = rdtsc();
	apic_write(APIC_TIMER_INITIAL, count);
	u64 end = wait_ticks(1);
	return end ? end - start : 0;
}

/* Our hypervisor's rates (TSC kHz, APIC timer input kHz), or false elsewhere. */
static bool hv_rates(u32 *tsc_khz, u32 *apic_khz)
{
	struct cpuid_regs sig = cpuid(HV_CPUID_LEAF, 0);
	if (sig.ebx != HV_CPUID_SIG_EBX || sig.eax < HV_CPUID_TIMING_LEAF)
		return false;
	struct cpuid_regs r = cpuid(HV_CPUID_TIMING_LEAF, 0);
	*tsc_khz = r.eax;
	*apic_khz = r.ebx;
	return r.eax && r.ebx;
}

static void current_count(void)
{
	apic_write(APIC_TIMER_DIVIDE, DIV1);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC);
	apic_write(APIC_TIMER_INITIAL, 0x40000000u);
	u32 a = apic_read(APIC_TIMER_CURRENT);
	for (int i = 0; i < 100000; i++)
		__asm__ volatile("pause");
	u32 b = apic_read(APIC_TIMER_CURRENT);
	ok(a <= 0x40000000u && b < a, "the current count runs down (0x%x, then 0x%x)", a, b);
	apic_write(APIC_TIMER_INITIAL, 0);
	ok_eq(apic_read(APIC_TIMER_CURRENT), 0u, "initial count 0 stops it");
}

/* One reading of the current count with the TSC around it: the tightest of
 * eight brackets. A read is an exit, and the vCPU may lose its CPU inside
 * it for a whole time slice (another VM spinning on the same CPU): a wide
 * bracket's midpoint would be off by up to half of it. */
struct sample {
	u64 tsc; /* the bracket's midpoint */
	u32 count;
};

static struct sample read_count(void)
{
	struct sample best = { 0, 0 };
	u64 best_width = ~0ull;
	for (int i = 0; i < 8; i++) {
		u64 t0 = rdtsc();
		u32 c = apic_read(APIC_TIMER_CURRENT);
		u64 t1 = rdtsc();
		if (t1 - t0 < best_width) {
			best_width = t1 - t0;
			best = (struct sample){ t0 + (t1 - t0) / 2, c };
		}
	}
	return best;
}

/* The counter's rate in counts per 1000 TSC cycles, from two samples 200M
 * counts apart (200 ms at divide 1) while it runs masked: no interrupt
 * latency enters it, so it holds on a loaded host too. */
static u64 rate(u32 divide)
{
	apic_write(APIC_TIMER_DIVIDE, divide);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC);
	apic_write(APIC_TIMER_INITIAL, 0xffffffffu);
	struct sample a = read_count(), b;
	do {
		for (int i = 0; i < 10000; i++)
			__asm__ volatile("pause");
		b = read_count();
	} while (a.count - b.count < 200000000u && b.count);
	apic_write(APIC_TIMER_INITIAL, 0);
	apic_write(APIC_TIMER_DIVIDE, DIV1);
	return (u64)(a.count - b.count) * 1000 / (b.tsc - a.tsc);
}

static void oneshot_tests(void)
{
	u64 d1 = oneshot(50000000); /* 50 ms at 1 GHz */
	ok(d1 && ticks == 1, "a one-shot timer wakes HLT with one interrupt");
	for (int i = 0; i < 200000; i++)
		__asm__ volatile("pause");
	ok(ticks == 1 && apic_read(APIC_TIMER_CURRENT) == 0, "a one-shot fires once and stays at 0");
	u64 r1 = rate(DIV1), r2 = rate(0x0); /* divide by 1, by 2 */
	u64 ratio = r2 ? r1 * 100 / r2 : 0;
	ok(ratio >= 190 && ratio <= 210, "divide by 2 halves the rate (%lu%%: %lu and %lu counts per 1000 TSC cycles)",
	   ratio, r1, r2);
	u64 least = 50000000ull * 1000 / (r1 + r1 / 50 + 1); /* 50M counts, at the rate measured (+2%) */
	ok(d1 >= least, "the one-shot never fires early (%lu TSC cycles, the count needs %lu)", d1, least);
	u32 tsc_khz, apic_khz;
	if (!hv_rates(&tsc_khz, &apic_khz)) {
		ok(false, "hv: the timing leaf 0x40000010 gives the TSC and APIC timer rates");
		return;
	}
	u64 want = (u64)apic_khz * 1000 / tsc_khz; /* counts per 1000 TSC cycles */
	ok(r1 >= want - want / 20 && r1 <= want + want / 20,
	   "hv: the counter runs at the timing leaf's rate (%lu counts per 1000 TSC cycles, expected %lu; "
	   "TSC %u kHz, APIC %u kHz)", r1, want, tsc_khz, apic_khz);
}

/* Ticks may be late (the vCPU waits for its CPU), and coalesced then (a
 * stated policy), but never early: tick i comes no sooner than i + 1 periods
 * after the start. */
static void periodic_tests(void)
{
	u32 period = 20000000; /* 20 ms */
	u64 r = rate(DIV1);
	u64 period_tsc = (u64)period * 1000 / (r + r / 50 + 1);
	ticks = 0;
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC);
	u64 start = rdtsc();
	apic_write(APIC_TIMER_INITIAL, period);
	u64 end = wait_ticks(5);
	apic_write(APIC_TIMER_INITIAL, 0);
	bool early = false;
	for (u32 i = 0; i < 5; i++)
		early |= tick_tsc[i] - start < (i + 1) * period_tsc;
	ok(end && !early, "5 periodic ticks, none before its period (the 5th after %lu TSC cycles, 5 periods are %lu)",
	   end - start, 5 * period_tsc);
	u32 after = ticks;
	for (int i = 0; i < 200000; i++)
		__asm__ volatile("pause");
	ok_eq(ticks, after, "initial count 0 stops the periodic timer");
}

static void masked(void)
{
	ticks = 0;
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC);
	apic_write(APIC_TIMER_INITIAL, 1000000); /* 1 ms */
	__asm__ volatile("sti");
	for (int i = 0; i < 100000 && apic_read(APIC_TIMER_CURRENT); i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	ok(ticks == 0 && apic_read(APIC_TIMER_CURRENT) == 0, "a masked timer runs down without an interrupt");
}

static void tsc_deadline(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE)) {
		skip("no TSC-deadline timer (CPUID.1:ECX[24] clear)", "TSC-deadline fires after its deadline");
		skip("no TSC-deadline timer (CPUID.1:ECX[24] clear)", "TSC-deadline reads 0 once fired");
		skip("no TSC-deadline timer (CPUID.1:ECX[24] clear)", "TSC-deadline 0 disarms");
		return;
	}
	ticks = 0;
	apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC);
	u64 deadline = rdtsc() + 20000000; /* 20M TSC cycles */
	wrmsr(MSR_TSC_DEADLINE, deadline);
	u64 at = wait_ticks(1);
	ok(at >= deadline, "TSC-deadline fires after its deadline (%ld cycles after)", (long)(at - deadline));
	ok_eq(rdmsr(MSR_TSC_DEADLINE), 0, "TSC-deadline reads 0 once fired");
	/* Armed, then disarmed before the deadline: no interrupt. A WRMSR is an
	 * exit, and on a loaded host the vCPU can be away past the deadline
	 * between the two; then the timer fired as it must, and it is tried again. */
	u64 armed = 0, disarmed = ~0ull;
	ticks = 0;
	for (int try = 0; try < 10 && disarmed >= armed; try++) {
		wrmsr(MSR_TSC_DEADLINE, armed = rdtsc() + 2000000);
		wrmsr(MSR_TSC_DEADLINE, 0);
		disarmed = rdtsc();
		__asm__ volatile("sti");
		for (int i = 0; i < 300000; i++)
			__asm__ volatile("pause");
		__asm__ volatile("cli");
		if (disarmed >= armed)
			ticks = 0; /* that try proved nothing */
	}
	ok(disarmed < armed && ticks == 0, "TSC-deadline 0 disarms (%u interrupts)", ticks);
}

/* WRMSR to the TSC moves RDTSC (and TSC_ADJUST by as much, SDM 18.17.3); TSC_ADJUST moves it back. */
static void tsc_writes(void)
{
	const u64 far = 1ull << 50, margin = 1ull << 40;
	bool has_adjust = cpuid(7, 0).ebx & (1u << 1);
	u64 adjust0 = has_adjust ? rdmsr(MSR_TSC_ADJUST) : 0, before = rdtsc();
	wrmsr(MSR_TSC, far);
	u64 after = rdtsc(), msr = rdmsr(MSR_TSC);
	ok(after >= far && after - far < margin && msr >= after,
	   "hv: a TSC write moves RDTSC there (0x%lx after writing 0x%lx; plain QEMU ignores it)", after, far);
	if (!has_adjust) {
		skip("no IA32_TSC_ADJUST (CPUID.7.0:EBX[1] clear)", "TSC_ADJUST follows a TSC write");
		skip("no IA32_TSC_ADJUST (CPUID.7.0:EBX[1] clear)", "writing TSC_ADJUST back moves the TSC back");
		return;
	}
	u64 moved = rdmsr(MSR_TSC_ADJUST) - adjust0, want = far - before;
	ok(moved <= want && want - moved < margin, "TSC_ADJUST follows a TSC write (moved by 0x%lx, ~0x%lx)",
	   moved, want);
	wrmsr(MSR_TSC_ADJUST, adjust0);
	u64 back = rdtsc();
	ok(back < far && back >= before, "writing TSC_ADJUST back moves the TSC back (0x%lx)", back);
}

void test_main(void)
{
	plan(16);
	apic_enable(0xff);
	irq_set_handler(VEC, on_tick);
	current_count();
	oneshot_tests();
	periodic_tests();
	masked();
	tsc_deadline();
	tsc_writes();
}
