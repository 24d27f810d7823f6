/* The ISA interrupt lines (hv/devices/isa_irq.h). */
#include "hv/devices/isa_irq.h"
#include "hv/vm/vm.h"
#include "hv/devices/pic.h"
#include "hv/devices/ioapic.h"

void isa_irq_set(struct vm *vm, u32 line, bool high)
{
	struct isa_irq *irq = &vm->isa_irq;
	u32 bit = 1u << line;

	if (line >= ISA_IRQ_LINES)
		return; /* callers pass their own fixed line numbers */
	if (high && !(irq->level & bit))
		irq->edges[line]++;
	irq->level = high ? irq->level | bit : irq->level & ~bit;
	if (line < 16)
		pic_set_irq(vm, line, high);
	if (line != 2)
		ioapic_set_irq(vm, line == 0 ? 2 : line, high); /* ISA IRQ 0 is GSI 2 (MADT override) */
}

bool isa_irq_level(const struct vm *vm, u32 line)
{
	return line < ISA_IRQ_LINES && (vm->isa_irq.level >> line) & 1;
}
