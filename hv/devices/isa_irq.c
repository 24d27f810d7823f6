/* The ISA interrupt lines (hv/devices/isa_irq.h). */
#include "hv/devices/isa_irq.h"
#include "hv/vm/vm.h"

void isa_irq_set(struct vm *vm, u32 line, bool high)
{
	struct isa_irq *irq = &vm->isa_irq;
	u32 bit = 1u << line;

	if (line >= ISA_IRQ_LINES)
		return; /* callers pass their own fixed line numbers */
	if (high && !(irq->level & bit))
		irq->edges[line]++;
	irq->level = high ? irq->level | bit : irq->level & ~bit;
}

bool isa_irq_level(const struct vm *vm, u32 line)
{
	return line < ISA_IRQ_LINES && (vm->isa_irq.level >> line) & 1;
}
