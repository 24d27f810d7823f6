/* The guest's TSC and TSC_ADJUST (hv/vm/guest_tsc.h). */
#include "hv/vm/guest_tsc.h"
#include "hv/vm/vm.h"

u64 vcpu_guest_tsc(const struct vcpu *vcpu)
{
	return rdtsc() + vcpu->tsc_offset;
}

static void move_offset(struct vcpu *vcpu, u64 delta)
{
	vcpu->tsc_offset += delta;
	vcpu->tsc_adjust += delta;
	vendor->set_tsc_offset(vcpu, vcpu->tsc_offset);
}

void vcpu_write_tsc(struct vcpu *vcpu, u64 value)
{
	move_offset(vcpu, value - vcpu_guest_tsc(vcpu));
}

void vcpu_write_tsc_adjust(struct vcpu *vcpu, u64 value)
{
	move_offset(vcpu, value - vcpu->tsc_adjust);
}
