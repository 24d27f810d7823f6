/* The interrupt controllers' path to the local APICs (hv/devices/apic_bus.h): not connected yet. */
#include "hv/devices/apic_bus.h"
#include "hv/vm/vm.h"

void apic_bus_deliver(struct vm *vm, const struct apic_msg *msg)
{
	vm_fail_device(vm, "IOAPIC pin %u sent vector 0x%x (delivery mode %u) to APIC %u: interrupt delivery "
		       "into the local APIC is not emulated yet", msg->pin, msg->vector, msg->delivery_mode,
		       msg->dest);
}

void apic_bus_lint0(struct vm *vm, bool level)
{
	vm->isa_irq.pic_int = level;
}
