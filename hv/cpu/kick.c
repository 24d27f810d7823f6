/* Kick IPIs and guest-mode presence (see kick.h for the protocol). */
#include "hv/cpu/kick.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/lapic.h"
#include "hv/cpu/percpu.h"

#define IN_GUEST 1ull

void guest_presence_enter(struct guest_presence *p)
{
	__atomic_fetch_or(&p->state, IN_GUEST, __ATOMIC_SEQ_CST);
}

void guest_presence_leave(struct guest_presence *p)
{
	__atomic_fetch_add(&p->state, IN_GUEST, __ATOMIC_SEQ_CST); /* 2k+1 -> 2k+2: out, one more period */
}

bool guest_presence_in_guest(const struct guest_presence *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_SEQ_CST) & IN_GUEST;
}

void kick_cpu(u32 cpu)
{
	lapic_send_ipi(percpu_table[cpu].apic_id, VECTOR_KICK);
}

void guest_kick(struct guest_presence *p)
{
	if (guest_presence_in_guest(p))
		kick_cpu(p->cpu);
}

bool guest_kick_and_wait(struct guest_presence *p)
{
	u64 seen = __atomic_load_n(&p->state, __ATOMIC_SEQ_CST);
	if (!(seen & IN_GUEST))
		return false;
	kick_cpu(p->cpu);
	while (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == seen)
		cpu_relax();
	return true;
}

u64 kicks_received(u32 cpu)
{
	return __atomic_load_n(&percpu_table[cpu].kicks, __ATOMIC_RELAXED);
}
