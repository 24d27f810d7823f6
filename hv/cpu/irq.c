/* Interrupt dispatch: the APIC timer drives the scheduler tick, the
 * reschedule IPI asks a CPU to look at its run queue, the kick IPI only
 * forces a VM exit. Each may end in a context switch, here, after the EOI. */
#include "hv/cpu/irq.h"
#include "hv/cpu/idt.h"
#include "hv/cpu/lapic.h"
#include "hv/cpu/percpu.h"
#include "hv/sched/sched.h"

extern void irq_stub_timer(void);
extern void irq_stub_reschedule(void);
extern void irq_stub_kick(void);
extern void irq_stub_spurious(void);

void irq_init(void)
{
	idt_set_gate(VECTOR_TIMER, irq_stub_timer, 0);
	idt_set_gate(VECTOR_RESCHEDULE, irq_stub_reschedule, 0);
	idt_set_gate(VECTOR_KICK, irq_stub_kick, 0);
	idt_set_gate(VECTOR_SPURIOUS, irq_stub_spurious, 0);
}

void irq_dispatch(u64 vector)
{
	switch (vector) {
	case VECTOR_TIMER:
		sched_tick();
		break;
	case VECTOR_RESCHEDULE:
		sched_request_resched();
		break;
	case VECTOR_KICK: /* the VM exit it caused was the point */
		this_cpu()->kicks++;
		break;
	}
	lapic_eoi();
	sched_preempt_point();
}
