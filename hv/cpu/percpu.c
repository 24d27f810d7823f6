/* The per-CPU table and how a CPU finds its own entry. */
#include "hv/cpu/percpu.h"
#include "hv/cpu/cpu.h"


struct percpu percpu_table[MAX_CPUS];
u32 cpu_count;

void percpu_bind(struct percpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)c);
}
