/* Interrupts between vCPUs through the local APIC (SDM vol. 3, 11.6): fixed
 * IPIs ping-ponged between the BSP and every other vCPU (each waits in
 * `sti; hlt`, so every IPI also wakes a halted vCPU), logical (flat)
 * destinations, the physical broadcast and the all-but-self shorthand,
 * NMIs (one waking a vCPU halted with interrupts off; a second NMI sent
 * during the handler arrives only after its IRET, never nested). */
#include "guest.h"
#include "apic.h"

#define PING 0x40
#define PONG 0x41
#define LOGICAL 0x42
#define BCAST 0x43
#define ALL_BUT 0x44
#define WATCHDOG 0x30 /* a periodic timer that bounds the BSP's waits */
#define ROUNDS 100

static u32 cpus;
static volatile u32 ready, pongs;
static volatile u32 pings[SMP_MAX_CPUS], logical_hits[SMP_MAX_CPUS], bcast_hits[SMP_MAX_CPUS],
	all_but_hits[SMP_MAX_CPUS], nmis[SMP_MAX_CPUS];
static volatile u32 nmi_depth, nmi_nested, nmi_in_handler, nmi_release;
static volatile u32 cli_halt_woke;

static u32 me(void)
{
	return apic_id();
}

static void on_ping(u8 v, struct irq_frame *f)
{
	pings[me()]++;
	apic_send_ipi(0, ICR_FIXED | PONG);
	apic_eoi();
}

static void on_pong(u8 v, struct irq_frame *f)
{
	pongs++;
	apic_eoi();
}

static void count(u8 v, struct irq_frame *f)
{
	volatile u32 *hits = v == LOGICAL ? logical_hits : v == BCAST ? bcast_hits : all_but_hits;
	hits[me()]++;
	apic_eoi();
}

/* vCPU 3 holds its first NMI until the BSP has sent the second. */
static void on_nmi(u8 v, struct irq_frame *f)
{
	u32 cpu = me();
	if (__atomic_add_fetch(&nmi_depth, 1, __ATOMIC_SEQ_CST) > 1)
		nmi_nested++;
	nmis[cpu]++;
	if (cpu == 3 && nmis[cpu] == 1) {
		nmi_in_handler = 1;
		while (!nmi_release)
			__asm__ volatile("pause");
	}
	__atomic_sub_fetch(&nmi_depth, 1, __ATOMIC_SEQ_CST);
}

/* By APIC ID: the runtime's index is the order the vCPUs arrived in. */
static void ap(u32 index)
{
	u32 id = me();
	idt_load();
	apic_enable(0xff);
	apic_write(APIC_LDR, (1u << id) << 24); /* flat model: one bit per vCPU */
	__atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
	if (id == 1) { /* halted with interrupts off: only the NMI wakes it */
		__asm__ volatile("cli; hlt");
		cli_halt_woke = 1;
	}
	for (;;)
		__asm__ volatile("sti; hlt");
}

static void on_watchdog(u8 v, struct irq_frame *f)
{
	apic_eoi();
}

/* Waits halted with interrupts on (`sti; hlt` loses no wake-up) until *v
 * reaches want; the BSP's 20 ms periodic timer bounds each HLT (a shorter
 * period can leave an emulator no time between two of its interrupts). */
static bool wait_for(volatile u32 *v, u32 want)
{
	for (u32 i = 0; i < 500 && *v < want; i++)
		__asm__ volatile("sti; hlt; cli");
	return *v >= want;
}

static void ping_pong(void)
{
	u64 start = rdtsc();
	bool all = true;
	for (u32 r = 0; r < ROUNDS && all; r++) {
		for (u32 c = 1; c < cpus && all; c++) {
			u32 want = pongs + 1;
			apic_send_ipi(c, ICR_FIXED | PING);
			all = wait_for(&pongs, want);
		}
	}
	u64 cycles = rdtsc() - start;
	bool counts = true;
	for (u32 c = 1; c < cpus; c++)
		counts &= pings[c] == ROUNDS;
	ok(all && counts && pongs == ROUNDS * (cpus - 1),
	   "fixed IPIs ping-pong %u times with each of %u vCPUs, each woken from HLT (%u pongs)",
	   ROUNDS, cpus - 1, pongs);
	diag("IPI round trip: %lu TSC cycles on average", cycles / (ROUNDS * (cpus - 1)));
}

static u32 total(volatile u32 *hits)
{
	u32 n = 0;
	for (u32 c = 0; c < cpus; c++)
		n += hits[c];
	return n;
}

static void destinations(void)
{
	apic_send_ipi(0x0a, ICR_LOGICAL | LOGICAL); /* logical 0b1010: vCPUs 1 and 3 */
	wait_for(&logical_hits[3], 1);
	wait_for(&logical_hits[1], 1);
	for (int i = 0; i < 100000; i++)
		__asm__ volatile("pause");
	ok(logical_hits[1] == 1 && logical_hits[3] == 1 && total(logical_hits) == 2,
	   "a logical (flat) destination 0x0a reaches vCPUs 1 and 3 only");
	apic_send_ipi(0xff, BCAST); /* physical broadcast: everyone, the sender too */
	for (u32 c = 0; c < cpus; c++)
		wait_for(&bcast_hits[c], 1);
	ok_eq(total(bcast_hits), cpus, "the physical broadcast 0xFF reaches every vCPU once");
	apic_send_ipi(0, ICR_ALL_BUT_SELF | ALL_BUT);
	for (u32 c = 1; c < cpus; c++)
		wait_for(&all_but_hits[c], 1);
	for (int i = 0; i < 100000; i++)
		__asm__ volatile("pause");
	ok(all_but_hits[0] == 0 && total(all_but_hits) == cpus - 1, "all-but-self reaches the others once each");
}

/* vCPU 1 waits in `cli; hlt` (it cannot take the pings before). */
static void nmi_wakes(void)
{
	for (int i = 0; i < 200000; i++)
		__asm__ volatile("pause");
	bool slept = !cli_halt_woke;
	apic_send_ipi(1, ICR_NMI);
	wait_for(&nmis[1], 1);
	for (u64 i = 0; i < 20000000 && !cli_halt_woke; i++)
		__asm__ volatile("pause");
	ok(slept && nmis[1] == 1 && cli_halt_woke, "an NMI IPI wakes a vCPU halted with interrupts off "
	   "(halted before: %u, NMIs %u, woke %u)", slept, nmis[1], cli_halt_woke);
}

static void nmi_not_nested(void)
{
	apic_send_ipi(3, ICR_NMI);
	for (u64 i = 0; i < 20000000 && !nmi_in_handler; i++)
		__asm__ volatile("pause");
	apic_send_ipi(3, ICR_NMI); /* while the first one's handler runs */
	for (int i = 0; i < 200000; i++)
		__asm__ volatile("pause");
	u32 during = nmis[3];
	nmi_release = 1;
	wait_for(&nmis[3], 2);
	ok(during == 1 && nmis[3] == 2 && !nmi_nested,
	   "a second NMI waits for the first one's IRET (%u during, %u after, %u nested)", during, nmis[3],
	   nmi_nested);
}

void test_main(void)
{
	plan(7);
	cpus = smp_cpu_count();
	apic_enable(0xff);
	irq_set_handler(PING, on_ping);
	irq_set_handler(PONG, on_pong);
	irq_set_handler(LOGICAL, count);
	irq_set_handler(BCAST, count);
	irq_set_handler(ALL_BUT, count);
	irq_set_handler(2, on_nmi);
	irq_set_handler(WATCHDOG, on_watchdog);
	apic_write(APIC_LDR, 1u << 24);
	apic_write(APIC_TIMER_DIVIDE, 0xb);
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | WATCHDOG);
	apic_write(APIC_TIMER_INITIAL, 20000000);
	ok(cpus == 4 && smp_start_aps(cpus, ap) && wait_for(&ready, cpus - 1),
	   "%u vCPUs up, their APICs enabled", cpus);
	nmi_wakes();
	ping_pong();
	destinations();
	nmi_not_nested();
}
