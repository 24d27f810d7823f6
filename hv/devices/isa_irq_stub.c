/*
 * HOOK until the PC-platform issue (12) merges: the ISA interrupt lines
 * (its PIC and IOAPIC model defines isa_irq_set, which overrides this weak
 * one; delete this file then). Without interrupt controllers a raised line
 * reaches nobody: guests that poll their devices are unaffected.
 */
#include "hv/devices/uart.h"

__attribute__((weak)) void isa_irq_set(struct vm *vm, u32 irq, bool level)
{
}
