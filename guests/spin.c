/* Preemption: every vCPU spins with interrupts disabled and never exits on
 * its own. The suite expects it to be stopped at its time limit
 * (expect=timeout); meanwhile the other VMs and the MMU worker threads must
 * go on, on the same physical CPUs (tools/suite-checks.sh checks that a VM
 * started after this one passed before it was stopped). */
#include "guest.h"

static volatile u64 spins[SMP_MAX_CPUS];

static void spin(u32 index)
{
	__asm__ volatile("cli");
	for (;;)
		spins[index]++;
}

void test_main(void)
{
	u32 cpus = smp_cpu_count();

	plan(1);
	ok(cpus == 1 || smp_start_aps(cpus, spin), "all %u vCPUs started; each now spins with interrupts off",
	   cpus);
	spin(0);
}
