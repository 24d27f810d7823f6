/* The hypervisor's own interrupts: installing their gates, masking, dispatch. */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include "hv/cpu/cpu.h"
#include "types.h"

/* Installs the gates for the vectors in hv/cpu/lapic.h (once, on the BSP; the IDT is shared). */
void irq_init(void);

/* Called by the stubs in hv/cpu/irq.asm with interrupts off. */
void irq_dispatch(u64 vector);

/* Disable interrupts; returns the previous RFLAGS for irq_restore(). */
static inline u64 irq_save(void)
{
	u64 flags = read_rflags();
	cli();
	return flags;
}

static inline void irq_restore(u64 flags)
{
	if (flags & RFLAGS_IF)
		sti();
}

#endif
