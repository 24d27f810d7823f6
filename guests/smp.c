/* Several vCPUs: the BSP starts the others (INIT-SIPI through the local
 * APIC), each counts itself in with an atomic and marks its own slot in
 * shared memory, all wait until everyone has arrived, and they finish
 * together: the BSP ends the guest only after every vCPU has left the
 * barrier. Each vCPU also learns its index the documented ways (its local
 * APIC ID and CPUID leaf 1 EBX[31:24], GUEST-PLATFORM.md): together they
 * must be 0..n-1, each once. Then, with the others halted (CLI; HLT), a
 * second INIT-SIPI must wake and restart them all. */
#include "guest.h"

#define ROUNDS 1000

static volatile u32 arrived, left;
static volatile u64 seen[SMP_MAX_CPUS];
static volatile u64 counter;
static volatile u32 apic_ids; /* bit i: some vCPU read APIC ID i, and CPUID agreed */
static volatile u32 restarted; /* bit i: vCPU i ran again after the second INIT-SIPI */
static volatile u32 id_mismatch;
static u32 cpus;

/* Everyone adds ROUNDS to the shared counter, then waits for the others. */
static void note_my_id(void)
{
	u32 lapic_id = *(volatile u32 *)(LAPIC_BASE + 0x20) >> 24;
	u32 cpuid_id = cpuid(1, 0).ebx >> 24;
	if (lapic_id != cpuid_id || lapic_id >= 32)
		__atomic_fetch_add(&id_mismatch, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_or(&apic_ids, 1u << lapic_id, __ATOMIC_SEQ_CST);
}

static void work(u32 index)
{
	note_my_id();
	for (u32 i = 0; i < ROUNDS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
	seen[index] = 0x534D500000000000ull | index; /* "SMP" + index */
	__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < cpus)
		__asm__ volatile("pause");
	__atomic_fetch_add(&left, 1, __ATOMIC_SEQ_CST);
}

static void ap(u32 index)
{
	work(index);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void ap_again(u32 index)
{
	__atomic_fetch_or(&restarted, 1u << (*(volatile u32 *)(LAPIC_BASE + 0x20) >> 24), __ATOMIC_SEQ_CST);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void test_main(void)
{
	plan(6);
	cpus = smp_cpu_count();
	diag("%u vCPUs", cpus);
	ok(cpus >= 2, "the platform reports several vCPUs (%u)", cpus);
	ok(smp_start_aps(cpus, ap), "every other vCPU started");
	work(0);
	while (left < cpus)
		__asm__ volatile("pause");
	bool all = true;
	for (u32 i = 0; i < cpus; i++)
		all &= seen[i] == (0x534D500000000000ull | i);
	ok(all && arrived == cpus, "each vCPU marked its own slot and counted itself in (%u)", arrived);
	ok_eq(counter, (u64)cpus * ROUNDS, "the atomic counter holds every vCPU's additions");
	ok(!id_mismatch && apic_ids == (1u << cpus) - 1,
	   "APIC IDs and CPUID say 0..%u, each once (seen 0x%x, %u disagree)", cpus - 1, apic_ids, id_mismatch);
	/* they are halted now (or about to be): INIT wakes a halted CPU */
	bool again = smp_start_aps(cpus, ap_again);
	/* each counted itself in before calling ap_again: give them time to mark */
	for (u64 i = 0; i < 100000000ull && again && restarted != (1u << cpus) - 2; i++)
		__asm__ volatile("pause");
	ok(again && restarted == (1u << cpus) - 2,
	   "a second INIT-SIPI restarts every halted vCPU (0x%x)", restarted);
}
