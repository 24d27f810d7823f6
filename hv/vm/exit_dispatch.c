/* From a decoded exit to its handler (hv/vm/exit_dispatch.h). */
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm.h"
#include "hv/devices/io.h"
#include "hv/vm/vm_memory.h"
#include "hv/vm/vcpu_intr.h"
#include "hv/emulate/guest_insn.h"
#include "hv/vm/guest_switch.h"

void inject_exception(struct vcpu *vcpu, u8 vector, bool has_error_code, u32 error_code)
{
	struct vcpu_sregs s;

	/* Real mode pushes no error codes (and both vendors refuse to inject one there). */
	vendor->get_sregs(vcpu, &s);
	struct vcpu_event ev = { .type = EVENT_EXCEPTION, .vector = vector,
				 .has_error_code = has_error_code && (s.cr0 & CR0_PE),
				 .error_code = error_code };
	vendor->inject_event(vcpu, &ev);
}

void skip_instruction(struct vcpu *vcpu, const struct vm_exit *exit)
{
	if (!exit->insn_len) {
		vm_fail(vcpu, "%s exit without an instruction length (backend bug)", exit_kind_name(exit->kind));
		return;
	}
	u32 prefixes = exit->insn_len_without_prefixes ? guest_insn_prefixes(vcpu) : 0; /* read at RIP, first */
	vcpu->regs.rip += exit->insn_len + prefixes;
}

/* VMCALL on AMD and VMMCALL on Intel raise #UD: both are the hypercall (include/hypercall.h). */
static bool is_hypercall_insn(struct vcpu *vcpu)
{
	struct vcpu_sregs s;
	u8 insn[3];

	vendor->get_sregs(vcpu, &s);
	if (guest_fetch_insn(vcpu, &s, insn, sizeof(insn)) != sizeof(insn))
		return false;
	return insn[0] == 0x0f && insn[1] == 0x01 && (insn[2] == 0xc1 || insn[2] == 0xd9);
}

static void exception_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	if (exit->exception.vector == VECTOR_UD && is_hypercall_insn(vcpu)) {
		if (hypercall_exit(vcpu))
			vcpu->regs.rip += 3;
		return;
	}
	/* Not ours: give the guest the exception it raised. */
	inject_exception(vcpu, exit->exception.vector, exit->exception.has_error_code,
			 exit->exception.error_code);
}

static void tdp_fault_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	const char *why = NULL;
	struct vm *vm = vcpu->vm;

	__atomic_fetch_add(&vm->stats.exits_tdp_fault, 1, __ATOMIC_RELAXED);
	switch (vm_memory_fault(vcpu, exit->tdp.gpa, exit->tdp.write, exit->tdp.exec, &why)) {
	case MEM_FAULT_RETRY:
		return;
	case MEM_FAULT_MMIO:
		if (exit->tdp.in_walk)
			vm_fail(vcpu, "the guest's page tables point at 0x%lx, which is not RAM", exit->tdp.gpa);
		else if (exit->tdp.exec)
			vm_fail(vcpu, "instruction fetch from 0x%lx, which is not RAM", exit->tdp.gpa);
		else if (exit->tdp.in_event)
			/* The access is the CPU's own (IDT, GDT or stack while delivering an
			 * event), not the instruction at RIP: decoding that would emulate
			 * the wrong access. */
			vm_fail(vcpu, "delivering an event touched 0x%lx, which is not RAM (IDT, GDT or stack in MMIO)",
				exit->tdp.gpa);
		else {
			spin_lock(&vm->lock);
			mmio_exit(vcpu, exit->tdp.gpa, exit->tdp.write);
			spin_unlock(&vm->lock);
		}
		return;
	case MEM_FAULT_ERROR:
		vm_fail(vcpu, "guest-physical fault at 0x%lx: %s", exit->tdp.gpa, why);
		return;
	}
}

/* Every exit but a second-level fault that maps RAM is handled under vm->lock (hv/vm/vm.h). */
static void handle_locked(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vm *vm = vcpu->vm;
	bool done = false;

	switch (exit->kind) {
	case EXIT_KIND_NONE:
	case EXIT_KIND_TDP_FAULT:
		return;
	case EXIT_KIND_IO:
		done = exit->io.string ? io_string_exit(vcpu, exit) : io_exit(vcpu, exit);
		break;
	case EXIT_KIND_MSR_READ:
	case EXIT_KIND_MSR_WRITE:
		done = msr_exit(vcpu, exit);
		break;
	case EXIT_KIND_CPUID:
		done = cpuid_exit(vcpu, exit);
		break;
	case EXIT_KIND_HLT:
		vm->stats.exits_hlt++;
		vcpu_halt(vcpu);
		done = true;
		break;
	case EXIT_KIND_HYPERCALL:
		done = hypercall_exit(vcpu);
		break;
	case EXIT_KIND_XSETBV:
		done = xsetbv_exit(vcpu, exit);
		break;
	case EXIT_KIND_CACHE:
		/* Caches are coherent for everything a guest sees (no device
		 * DMA), so WBINVD has nothing to do, and INVD must not drop the
		 * dirty lines of the host and other VMs: both are no-ops. */
		done = true;
		break;
	case EXIT_KIND_RDPMC:
		done = rdpmc_exit(vcpu, exit);
		break;
	case EXIT_KIND_EXCEPTION:
		exception_exit(vcpu, exit);
		break;
	case EXIT_KIND_CR8:
		done = cr8_exit(vcpu, exit);
		break;
	case EXIT_KIND_SHUTDOWN:
		vm_stop(vm, VM_TRIPLE_FAULT, 0);
		break;
	case EXIT_KIND_ENTRY_FAILED:
		vm_fail(vcpu, "guest entry failed: %s (code 0x%lx)", exit->raw.what, exit->raw.code);
		break;
	case EXIT_KIND_UNHANDLED:
	case EXIT_KIND_COUNT:
		vm_fail(vcpu, "unexpected exit %s (code 0x%lx, info 0x%lx 0x%lx)", exit->raw.what,
			exit->raw.code, exit->raw.info1, exit->raw.info2);
		break;
	}
	if (done)
		skip_instruction(vcpu, exit);
}

void exit_dispatch(struct vcpu *vcpu, const struct vm_exit *exit)
{
	if (exit->kind == EXIT_KIND_NONE)
		return; /* a physical interrupt: nothing for the guest */
	if (exit->kind == EXIT_KIND_TDP_FAULT) {
		tdp_fault_exit(vcpu, exit); /* the MMU is safe for concurrent faults (MMU.md) */
		return;
	}
	spin_lock(&vcpu->vm->lock);
	handle_locked(vcpu, exit);
	spin_unlock(&vcpu->vm->lock);
}
