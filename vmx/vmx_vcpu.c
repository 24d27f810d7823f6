/* Per-vCPU VT-x operations: the VMCS's life, entering the guest, events, TLB. */
#include "vmx/vmx.h"
#include "vmx/ept.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/irq.h"
#include "hv/vm/vm.h"
#include "hv/panic.h"
#include "hv/sched/sched.h"
#include "hv/cpu/time.h"
#include "mm/page_alloc.h"
#include "kstring.h"

#define INT_N_LEN 2 /* INT imm8: the only software interrupt the core injects */


/* VMPTRLD only when the VMCS changes. A vCPU stays on one CPU (every vendor
 * op runs on its pinned thread, hv/vm/vendor.h), so its VMCS never needs a
 * VMCLEAR to move; loading it on a second CPU while it is active on the
 * first would corrupt it, so that is checked here. */
void vmx_load_vmcs(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *cpu = vmx_this_cpu();
	if (cpu->current_vmcs == vmx->vmcs_pa)
		return; /* current here, so active here */
	u32 here = this_cpu()->id;
	if (vmx->cpu != here && vmx->cpu != VMX_NO_CPU)
		panic("vmx: vCPU %u's VMCS is active on CPU %u, used on CPU %u (a vendor op ran off "
		      "the vCPU's thread)", vcpu->id, vmx->cpu, here);
	vmx->cpu = here;
	if (!vmptrld(vmx->vmcs_pa))
		panic("vmx: VMPTRLD of the VMCS at 0x%lx failed", (unsigned long)vmx->vmcs_pa);
	cpu->current_vmcs = vmx->vmcs_pa;
}

u64 vmx_vmcs_begin(struct vcpu *vcpu)
{
	u64 flags = irq_save();
	vmx_load_vmcs(vcpu);
	return flags;
}

void vmx_vmcs_end(u64 flags)
{
	irq_restore(flags);
}

static void arm_slice_timer(void);

/* Two pages per vCPU: the VMCS, then struct vmx_vcpu (no heap in the hypervisor). */
#define VMX_VCPU_PAGES 2

const char *vmx_vcpu_create(struct vcpu *vcpu)
{
	u64 pa = palloc(VMX_VCPU_PAGES, PAGE_SIZE);
	if (!pa)
		return "out of memory for its VMCS";
	memset((void *)pa, 0, VMX_VCPU_PAGES * PAGE_SIZE);

	struct vmx_vcpu *vmx = (struct vmx_vcpu *)(pa + PAGE_SIZE);
	vmx->vmcs = (void *)pa;
	vmx->vmcs_pa = pa;
	vmx->cpu = VMX_NO_CPU;
	vmx->vpid = vmx_cfg.vpid ? vmx_vpid_alloc() : 0;
	vmx->flush_pending = true; /* the VPID may hold a previous vCPU's translations */
	*(u32 *)vmx->vmcs = VMX_BASIC_REVISION(vmx_caps.basic);
	vcpu->vendor = vmx;

	if (!vmclear(pa))
		panic("vmx: VMCLEAR of a new VMCS at 0x%lx failed", (unsigned long)pa);
	u64 flags = vmx_vmcs_begin(vcpu);
	vmx_setup_vmcs(vcpu);
	arm_slice_timer();
	vmx_vmcs_end(flags);
	return NULL;
}

void vmx_vcpu_destroy(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	if (!vmx)
		return;
	if (vmx->handled_exits)
		klog(LOG_DEBUG, "vmx: vCPU %u: %lu exits handled, %lu TSC cycles each from exit to re-entry\n",
		     vcpu->id, (unsigned long)vmx->handled_exits,
		     (unsigned long)(vmx->host_tsc / vmx->handled_exits));
	u64 flags = irq_save();
	vmclear(vmx->vmcs_pa); /* the CPU may cache VMCS data: write it back before freeing */
	if (vmx_this_cpu()->current_vmcs == vmx->vmcs_pa)
		vmx_this_cpu()->current_vmcs = 0;
	irq_restore(flags);
	vmx_vpid_free(vmx->vpid);
	palloc_free(vmx->vmcs_pa, VMX_VCPU_PAGES);
	vcpu->vendor = NULL;
}

void vmx_inject_event(struct vcpu *vcpu, const struct vcpu_event *event)
{
	static const u8 types[] = {
		[EVENT_EXT_INTR] = INTR_TYPE_EXTERNAL, [EVENT_NMI] = INTR_TYPE_NMI,
		[EVENT_EXCEPTION] = INTR_TYPE_HW_EXCEPTION, [EVENT_SOFT_INTR] = INTR_TYPE_SW_INTR,
	};
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = INTR_INFO_VALID | (u32)types[event->type] << 8 | event->vector;

	/* Real mode delivers no error code, and VM entry refuses one there. */
	u64 flags = vmx_vmcs_begin(vcpu);
	bool protected_mode = vmcs_read(VMCS_GUEST_CR0) & CR0_PE;
	vmx_vmcs_end(flags);
	if (event->has_error_code && protected_mode) {
		info |= INTR_INFO_HAS_ERROR;
		vmx->event_error = event->error_code;
	}
	vmx->event_info = info;
	vmx->event_insn_len = event->type == EVENT_SOFT_INTR ? INT_N_LEN : 0;
}

/* Blocking by STI or MOV SS covers only the instruction the guest exited on (load_guest drops it otherwise). */
static u32 interruptibility(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 flags = vmx_vmcs_begin(vcpu);
	u32 intr = (u32)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	vmx_vmcs_end(flags);
	if (!vmx->launched || vcpu->regs.rip != vmx->exit_rip)
		intr &= ~(u32)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
	return intr;
}

bool vmx_irq_allowed(struct vcpu *vcpu)
{
	u32 intr = interruptibility(vcpu);
	return (vcpu->regs.rflags & RFLAGS_IF) && !to_vmx(vcpu)->event_info &&
	       !(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* With virtual NMIs the CPU keeps "blocked by NMI" until the guest's IRET. */
bool vmx_nmi_allowed(struct vcpu *vcpu)
{
	u32 intr = interruptibility(vcpu);
	return !to_vmx(vcpu)->event_info &&
	       !(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI));
}

void vmx_request_irq_window(struct vcpu *vcpu)
{
	to_vmx(vcpu)->windows |= PROC_INTR_WINDOW_EXITING;
}

void vmx_request_nmi_window(struct vcpu *vcpu)
{
	to_vmx(vcpu)->windows |= PROC_NMI_WINDOW_EXITING;
}

/* The windows the core asked for hold for this entry only. */
static void load_windows(struct vmx_vcpu *vmx)
{
	u32 want = vmx_cfg.ctl[VMX_CTL_PROC] | vmx->windows;
	if (want != vmx->proc_ctl) {
		vmcs_write(VMCS_PROC_CONTROLS, want);
		vmx->proc_ctl = want;
	}
	vmx->windows = 0;
}

void vmx_set_tsc_offset(struct vcpu *vcpu, u64 offset)
{
	u64 flags = vmx_vmcs_begin(vcpu);
	vmcs_write(VMCS_TSC_OFFSET, offset);
	vmx_vmcs_end(flags);
}

void vmx_set_root(struct vcpu *vcpu, u64 root)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	vmx->eptp = ept_pointer(root, vmx_cfg.ept_ad);
	vmx->flush_pending = true;
	u64 flags = vmx_vmcs_begin(vcpu);
	vmcs_write(VMCS_EPT_POINTER, vmx->eptp);
	vmx_vmcs_end(flags);
}

void vmx_flush_tlb(struct vcpu *vcpu)
{
	to_vmx(vcpu)->flush_pending = true;
}

/* INVEPT drops guest-physical (and combined) translations; INVVPID the linear ones under our VPID. */
static void flush_now(struct vmx_vcpu *vmx)
{
	bool ok = vmx_cfg.invept_single ? invept(INVEPT_SINGLE, vmx->eptp) : invept(INVEPT_ALL, 0);
	if (!ok)
		panic("vmx: INVEPT failed (EPTP 0x%lx)", (unsigned long)vmx->eptp);
	if (vmx->vpid) {
		ok = vmx_cfg.invvpid_single ? invvpid(INVVPID_SINGLE, vmx->vpid) : invvpid(INVVPID_ALL, 0);
		if (!ok)
			panic("vmx: INVVPID failed (VPID %u)", vmx->vpid);
	}
	vmx->flush_pending = false;
}

/* Everything the core may have changed since the last exit goes into the VMCS. */
static void load_guest(struct vcpu *vcpu, struct vmx_vcpu *vmx)
{
	vmcs_write(VMCS_GUEST_RSP, vcpu->regs.gpr[GPR_RSP]);
	vmcs_write(VMCS_GUEST_RIP, vcpu->regs.rip);
	vmcs_write(VMCS_GUEST_RFLAGS, vcpu->regs.rflags);
	/* The core skipped an instruction: blocking by STI or MOV SS ended with it. */
	if (vmx->launched && vcpu->regs.rip != vmx->exit_rip) {
		u64 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
		if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
			vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(u64)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	}
	if (vmx->event_info) {
		vmcs_write(VMCS_ENTRY_INTR_INFO, vmx->event_info);
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmx->event_error);
		vmcs_write(VMCS_ENTRY_INSN_LEN, vmx->event_insn_len);
		vmx->event_info = 0; /* VM exits clear the field's valid bit too */
	}
}

static void store_guest(struct vcpu *vcpu, struct vmx_vcpu *vmx)
{
	vcpu->regs.gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
	vcpu->regs.rip = vmcs_read(VMCS_GUEST_RIP);
	vcpu->regs.rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	vmx->exit_rip = vcpu->regs.rip;
	vmx->exit_reason = (u32)vmcs_read(VMCS_EXIT_REASON);
	vmx->exit_qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
}

/* An event cut short by this exit (e.g. an EPT violation on the IDT or stack during its delivery) is delivered again. */
static void requeue_vectoring_event(struct vmx_vcpu *vmx)
{
	u32 info = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);
	if (!(info & INTR_INFO_VALID))
		return;
	vmx->event_info = info & ~INTR_INFO_NMI_UNBLOCK;
	if (info & INTR_INFO_HAS_ERROR)
		vmx->event_error = (u32)vmcs_read(VMCS_IDT_VECTORING_ERROR);
	u32 type = INTR_INFO_TYPE(info);
	bool soft = type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SW_EXCEPTION;
	vmx->event_insn_len = soft ? (u32)vmcs_read(VMCS_EXIT_INSN_LEN) : 0;
}

/*
 * The VMX-preemption timer (when the CPU has it) ends every guest run after
 * one scheduler tick: a guest never runs longer than that without an exit,
 * even if the host timer's interrupt does not force one. On hardware it
 * does (external-interrupt exiting); Bochs 2.7 forgets to after an exit
 * taken with guest RFLAGS.IF clear, and a guest spinning with interrupts off
 * would keep its CPU for good. Written once: without the "save timer value"
 * exit control every entry reloads it from the VMCS.
 */
static void arm_slice_timer(void)
{
	static u32 slice;

	if (!(vmx_cfg.ctl[VMX_CTL_PIN] & PIN_PREEMPTION_TIMER))
		return;
	if (!slice) {
		u64 ticks = (time_tsc_hz() / SCHED_HZ) >> (vmx_caps.misc & 0x1f);
		slice = (u32)MIN(MAX(ticks, 1ull), 0xffffffffull);
	}
	vmcs_write(VMCS_GUEST_PREEMPTION_TIMER, slice);
}

void vmx_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* Interrupts stay off until the exit is decoded (a VM exit leaves them
	 * off anyway); a host interrupt that caused the exit is taken at the end. */
	u64 flags = vmx_vmcs_begin(vcpu);
	if (!vmx->launched && vcpu->test_bad_entry)
		vmx_break_guest_state(vcpu);
	if (vmx->flush_pending)
		flush_now(vmx);
	load_guest(vcpu, vmx);
	load_windows(vmx);
	vmx_load_lazy_state(vcpu);

	if (vmx->exit_tsc) {
		vmx->host_tsc += rdtsc() - vmx->exit_tsc;
		vmx->handled_exits++;
	}
	int fail = vmx_enter(&vcpu->regs, &vmx->cr2, vmx->launched);
	vmx->exit_tsc = rdtsc();

	if (fail) {
		vmx_insn_failure(vcpu, fail, exit);
	} else {
		store_guest(vcpu, vmx);
		if (vmx->exit_reason & EXIT_REASON_ENTRY_FAILED) {
			vmx_entry_failure(vcpu, vmx->exit_reason, exit);
		} else {
			vmx->launched = true;
			requeue_vectoring_event(vmx);
			vmx_decode_exit(vcpu, exit);
		}
	}
	vmx_vmcs_end(flags);
}
