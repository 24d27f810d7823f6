/* INIT, SIPI and HLT: a vCPU's multiprocessor state (hv/vm/vcpu_mp.h). */
#include "hv/vm/vcpu_mp.h"
#include "hv/vm/vm.h"
#include "hv/vm/vcpu_intr.h"

void vcpu_mp_reset(struct vcpu *vcpu)
{
	vcpu->mp_state = vcpu->id == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
	vcpu->init_pending = vcpu->sipi_pending = false;
}

void vcpu_mp_notify(struct vcpu *t)
{
	__atomic_fetch_or(&t->requests, VCPU_REQ_EVENT, __ATOMIC_SEQ_CST);
	guest_kick(&t->presence);
	vcpu_wake(t);
}

void vcpu_send_init(struct vcpu *target)
{
	target->init_pending = true;
	target->sipi_pending = false; /* a SIPI counts only after this INIT */
	vcpu_mp_notify(target);
}

void vcpu_send_sipi(struct vcpu *target, u8 vector)
{
	if (target->mp_state != VCPU_WAIT_SIPI && !target->init_pending)
		return; /* a CPU not waiting for a SIPI ignores it */
	target->sipi_pending = true;
	target->sipi_vector = vector;
	vcpu_mp_notify(target);
}

/* Halted with IF=1 and a timer armed counts: the timer will wake it. */
static bool can_run(const struct vcpu *v)
{
	if (v->mp_state == VCPU_RUNNABLE || v->init_pending || v->sipi_pending)
		return true;
	return v->mp_state == VCPU_HALTED && (vcpu_intr_wakes_hlt(v) || vcpu_intr_timer_can_wake(v));
}

/* Under vm->lock, after a vCPU stopped running: the VM halts when none can run again. */
static void check_halted(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (can_run(&vm->vcpus[i]))
			return;
	vm_stop(vm, VM_HALTED, 0);
}

const char *vcpu_mp_state_name(const struct vcpu *vcpu)
{
	switch (__atomic_load_n(&vcpu->mp_state, __ATOMIC_RELAXED)) {
	case VCPU_RUNNABLE: return "running";
	case VCPU_HALTED: return "halted";
	case VCPU_WAIT_SIPI: return "waiting for SIPI";
	}
	return "?";
}

void vcpu_halt(struct vcpu *vcpu)
{
	if (vcpu_intr_wakes_hlt(vcpu))
		return; /* `sti; hlt` with an interrupt pending: it arrives after the HLT */
	vcpu->mp_state = VCPU_HALTED;
	check_halted(vcpu->vm);
}

void vcpu_mp_events(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	spin_lock(&vm->lock);
	if (vcpu->init_pending) {
		vcpu->init_pending = false;
		vcpu->mp_state = VCPU_WAIT_SIPI;
		vlapic_init_signal(vcpu);
	}
	if (vcpu->sipi_pending && vcpu->mp_state == VCPU_WAIT_SIPI) {
		vcpu->sipi_pending = false;
		vcpu_reset_real(vcpu, (u16)(vcpu->sipi_vector << 8), 0);
		vcpu->mp_state = VCPU_RUNNABLE;
	}
	if (vcpu->mp_state != VCPU_RUNNABLE)
		check_halted(vm);
	spin_unlock(&vm->lock);
}
