/* Interrupt dispatch: the APIC timer drives the scheduler tick, the
 * reschedule IPI asks a CPU to look at its run queue. Both may end in a
 * context switch, which happens here, after the EOI. */
#include "hv/irq.h"
#include "hv/idt.h"
#include "hv/lapic.h"
#include "hv/sched.h"

extern void irq_stub_timer(void);
extern void irq_stub_reschedule(void);
extern void irq_stub_spurious(void);

void irq_init(void)
{
	idt_set_gate(VECTOR_TIMER, irq_stub_timer, 0);
	idt_set_gate(VECTOR_RESCHEDULE, irq_stub_reschedule, 0);
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
	}
	lapic_eoi();
	sched_preempt_point();
}
