/* Per-vCPU SVM operations: the VMCB's life, running the guest, events, TLB. */
#include "svm/svm.h"
#include "hv/console/console.h"
#include "hv/vm/vm.h"
#include "mm/page_alloc.h"
#include "kstring.h"
#include "x86.h"

/* Values the guest sees at power-on (APM vol. 2, "Processor initialization state"). */
#define PAT_POWER_ON 0x0007040600070406ull
#define DR6_POWER_ON 0xffff0ff0ull
#define DR7_POWER_ON 0x400ull

#define VECTOR_DB 1
#define VECTOR_UD 6
#define VECTOR_AC 17

static void vmcb_init(struct vmcb *vmcb, u32 asid)
{
	struct vmcb_control *c = &vmcb->control;
	struct vmcb_save *s = &vmcb->save;

	/* What the core handles; the SVM instructions exit so the VM stops
	 * instead of running them; #UD to accept Intel's VMCALL too. Instructions
	 * that reach beyond the guest: INVD and WBINVD (every cache line of the
	 * CPU), INVLPGA (any ASID), RDPMC (the host's counters), XSETBV (XCR0 is
	 * the CPU's: hv/vm/guest_switch.c). #AC and #DB exit so that an exception
	 * whose delivery raises it again (CVE-2015-5307, CVE-2015-8104) cannot
	 * keep the CPU in the guest for good; the core reflects them. */
	c->intercept_misc1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_CPUID | INTERCEPT1_HLT |
			     INTERCEPT1_IOIO | INTERCEPT1_MSR | INTERCEPT1_SHUTDOWN | INTERCEPT1_RDPMC |
			     INTERCEPT1_INVD | INTERCEPT1_INVLPGA;
	c->intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL | INTERCEPT2_VMLOAD |
			     INTERCEPT2_VMSAVE | INTERCEPT2_STGI | INTERCEPT2_CLGI | INTERCEPT2_SKINIT |
			     INTERCEPT2_WBINVD | INTERCEPT2_XSETBV;
	c->intercept_exceptions = 1u << VECTOR_UD | 1u << VECTOR_DB | 1u << VECTOR_AC;
	/* CR8 is the virtual APIC's TPR (hv/vm/vcpu_intr.c), never V_TPR alone. */
	c->intercept_cr = INTERCEPT_CR8_READ | INTERCEPT_CR8_WRITE;
	c->iopm_base_pa = svm_iopm_pa();
	c->msrpm_base_pa = svm_msrpm_pa();
	c->asid = asid;
	c->int_ctl = INT_CTL_V_INTR_MASKING;
	c->np_control = NP_ENABLE;

	/* Power-on state (real mode at F000:FFF0); the core sets the real start state. */
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->cs.limit = 0xffff;
	s->cs.attrib = SEG_ATTR_P | SEG_ATTR_S | 0xb;
	struct vmcb_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };
	for (u32 i = 0; i < ARRAY_SIZE(data); i++) {
		data[i]->limit = 0xffff;
		data[i]->attrib = SEG_ATTR_P | SEG_ATTR_S | 0x3;
	}
	s->gdtr.limit = s->idtr.limit = 0xffff;
	s->ldtr.limit = s->tr.limit = 0xffff;
	s->ldtr.attrib = SEG_ATTR_P | 0x2;
	s->tr.attrib = SEG_ATTR_P | 0x3;
	s->rip = 0xfff0;
	s->rflags = RFLAGS_FIXED1;
	s->cr0 = CR0_POWER_ON;
	s->efer = EFER_SVME;
	s->dr6 = DR6_POWER_ON;
	s->dr7 = DR7_POWER_ON;
	s->g_pat = PAT_POWER_ON;
}

/* Two pages per vCPU: the VMCB, then struct svm_vcpu (no heap in the hypervisor). */
#define SVM_VCPU_PAGES 2

const char *svm_vcpu_create(struct vcpu *vcpu)
{
	u64 pa = palloc(SVM_VCPU_PAGES, PAGE_SIZE);
	if (!pa)
		return "out of memory for its VMCB";
	u32 asid = svm_asid_alloc();
	if (!asid) {
		palloc_free(pa, SVM_VCPU_PAGES);
		return "no free ASID on its CPU (too many vCPUs pinned there at once)";
	}
	memset((void *)pa, 0, SVM_VCPU_PAGES * PAGE_SIZE);

	struct svm_vcpu *svm = (struct svm_vcpu *)(pa + PAGE_SIZE);
	svm->vmcb = (struct vmcb *)pa;
	svm->asid = asid;
	svm->flush_pending = true; /* the ASID may hold a previous vCPU's translations */
	vmcb_init(svm->vmcb, asid);
	vcpu->vendor = svm;
	return NULL;
}

void svm_vcpu_destroy(struct vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	if (!svm)
		return;
	svm_asid_free(svm->asid);
	palloc_free((u64)svm->vmcb, SVM_VCPU_PAGES);
	vcpu->vendor = NULL;
}

void svm_inject_event(struct vcpu *vcpu, const struct vcpu_event *event)
{
	static const u8 types[] = {
		[EVENT_EXT_INTR] = EVENT_TYPE_INTR, [EVENT_NMI] = EVENT_TYPE_NMI,
		[EVENT_EXCEPTION] = EVENT_TYPE_EXCEPTION, [EVENT_SOFT_INTR] = EVENT_TYPE_SOFT_INT,
	};
	u64 inj = event->vector | ((u64)types[event->type] << EVENT_TYPE_SHIFT) | EVENT_VALID;

	if (event->has_error_code)
		inj |= EVENT_HAS_ERROR | ((u64)event->error_code << EVENT_ERROR_SHIFT);
	to_svm(vcpu)->vmcb->control.event_inj = inj;
	if (event->type == EVENT_NMI)
		to_svm(vcpu)->nmi_blocked = true; /* until the guest's IRET (svm_decode_exit) */
}

/* The STI/MOV-SS shadow covers only the instruction the guest exited on. */
static bool in_shadow(struct vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	return (svm->vmcb->control.int_state & INT_STATE_SHADOW) && vcpu->regs.rip == svm->exit_rip;
}

static bool event_queued(struct vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.event_inj & EVENT_VALID;
}

bool svm_irq_allowed(struct vcpu *vcpu)
{
	return (vcpu->regs.rflags & RFLAGS_IF) && !in_shadow(vcpu) && !event_queued(vcpu);
}

bool svm_nmi_allowed(struct vcpu *vcpu)
{
	return !to_svm(vcpu)->nmi_blocked && !in_shadow(vcpu) && !event_queued(vcpu);
}

/* A virtual interrupt nobody delivers: its VINTR intercept fires as soon as the guest could take it. */
void svm_request_irq_window(struct vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	c->int_ctl |= INT_CTL_V_IRQ | INT_CTL_V_INTR_PRIO | INT_CTL_V_IGN_TPR;
	c->intercept_misc1 |= INTERCEPT1_VINTR;
}

/* Blocked by an earlier NMI: exit at its IRET. Otherwise (a shadow, an event
 * queued) the NMI goes in at the next exit, which the scheduler tick bounds. */
void svm_request_nmi_window(struct vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	if (svm->nmi_blocked && !svm->awaiting_iret)
		svm->vmcb->control.intercept_misc1 |= INTERCEPT1_IRET;
}

/* After an exit: windows last one entry; an NMI's IRET has completed once RIP left it. */
static void after_exit(struct svm_vcpu *svm, u64 rip)
{
	struct vmcb_control *c = &svm->vmcb->control;

	c->int_ctl &= ~(INT_CTL_V_IRQ | INT_CTL_V_INTR_PRIO | INT_CTL_V_IGN_TPR);
	c->intercept_misc1 &= ~INTERCEPT1_VINTR;
	if (svm->awaiting_iret && rip != svm->iret_rip)
		svm->nmi_blocked = svm->awaiting_iret = false;
	if ((u32)c->exit_code == VMEXIT_IRET) {
		c->intercept_misc1 &= ~INTERCEPT1_IRET;
		svm->awaiting_iret = true;
		svm->iret_rip = rip;
	}
	svm->exit_rip = rip;
}

void svm_set_tsc_offset(struct vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}

void svm_set_root(struct vcpu *vcpu, u64 root)
{
	to_svm(vcpu)->vmcb->control.n_cr3 = root;
	to_svm(vcpu)->flush_pending = true;
}

void svm_flush_tlb(struct vcpu *vcpu)
{
	to_svm(vcpu)->flush_pending = true;
}

void svm_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	/* test_bad_guest_state: EFER.SVME clear is a state VMRUN always refuses. */
	if (!svm->entered && vcpu->test_bad_entry)
		vmcb->save.efer &= ~EFER_SVME;
	svm->entered = true;

	vmcb->save.rax = vcpu->regs.gpr[GPR_RAX];
	vmcb->save.rsp = vcpu->regs.gpr[GPR_RSP];
	vmcb->save.rip = vcpu->regs.rip;
	vmcb->save.rflags = vcpu->regs.rflags;
	if (vcpu->regs.rip != svm->exit_rip)
		vmcb->control.int_state &= ~INT_STATE_SHADOW; /* the core completed that instruction */
	/* Without flush-by-ASID (QEMU TCG) the only choice is flushing every ASID. */
	vmcb->control.tlb_control = TLB_CONTROL_NONE;
	if (svm->flush_pending)
		vmcb->control.tlb_control = (svm_caps.features & SVM_FEATURE_FLUSH_BY_ASID) ?
						    TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL;
	svm->flush_pending = false;

	svm_enter(&vcpu->regs, (u64)vmcb, svm_host_vmcb_pa());

	vcpu->regs.gpr[GPR_RAX] = vmcb->save.rax;
	vcpu->regs.gpr[GPR_RSP] = vmcb->save.rsp;
	vcpu->regs.rip = vmcb->save.rip;
	vcpu->regs.rflags = vmcb->save.rflags;
	/* An event cut short by this exit (e.g. a nested page fault on the
	 * IDT or stack during its delivery) is delivered again next time. */
	vmcb->control.event_inj = 0;
	if (vmcb->control.exit_int_info & EVENT_VALID)
		vmcb->control.event_inj = vmcb->control.exit_int_info;
	after_exit(svm, vcpu->regs.rip);
	svm_decode_exit(vcpu, exit);
}

void svm_dump(struct vcpu *vcpu)
{
	const struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	const struct vmcb_control *c = &vmcb->control;
	const struct vmcb_save *s = &vmcb->save;

	kprintf("  svm: exit 0x%lx (%s) info1 0x%lx info2 0x%lx exit_int_info 0x%lx\n",
		c->exit_code, svm_exit_code_name(c->exit_code), c->exit_info1, c->exit_info2,
		c->exit_int_info);
	kprintf("  svm: asid %u n_cr3 0x%lx event_inj 0x%lx int_state 0x%lx\n", c->asid, c->n_cr3,
		c->event_inj, c->int_state);
	kprintf("  rip 0x%lx rsp 0x%lx rax 0x%lx rflags 0x%lx cpl %u\n", s->rip, s->rsp, s->rax,
		s->rflags, s->cpl);
	kprintf("  cr0 0x%lx cr2 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx\n", s->cr0, s->cr2, s->cr3,
		s->cr4, s->efer);
	kprintf("  cs 0x%x base 0x%lx limit 0x%x attr 0x%x  ss 0x%x attr 0x%x\n", s->cs.selector,
		s->cs.base, s->cs.limit, s->cs.attrib, s->ss.selector, s->ss.attrib);
	kprintf("  gdtr 0x%lx/0x%x idtr 0x%lx/0x%x tr 0x%x attr 0x%x\n", s->gdtr.base, s->gdtr.limit,
		s->idtr.base, s->idtr.limit, s->tr.selector, s->tr.attrib);
}
