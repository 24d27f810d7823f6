/* Guest system state: neutral struct vcpu_sregs <-> the VMCB save area. */
#include "svm/svm.h"
#include "hv/cpu/cpu.h"

static u16 attrib_from(const struct vcpu_segment *s)
{
	if (s->unusable)
		return 0;
	return (u16)((s->type & 0xf) | (s->s ? SEG_ATTR_S : 0) | ((s->dpl & 3) << 5) |
		     (s->present ? SEG_ATTR_P : 0) | (s->avl ? SEG_ATTR_AVL : 0) |
		     (s->l ? SEG_ATTR_L : 0) | (s->db ? SEG_ATTR_DB : 0) | (s->g ? SEG_ATTR_G : 0));
}

static void seg_to_vmcb(struct vmcb_segment *v, const struct vcpu_segment *s)
{
	v->selector = s->selector;
	v->base = s->base;
	v->limit = s->limit;
	v->attrib = attrib_from(s);
}

static void seg_from_vmcb(struct vcpu_segment *s, const struct vmcb_segment *v)
{
	s->selector = v->selector;
	s->base = v->base;
	s->limit = v->limit;
	s->type = v->attrib & 0xf;
	s->s = !!(v->attrib & SEG_ATTR_S);
	s->dpl = (v->attrib >> 5) & 3;
	s->present = !!(v->attrib & SEG_ATTR_P);
	s->avl = !!(v->attrib & SEG_ATTR_AVL);
	s->l = !!(v->attrib & SEG_ATTR_L);
	s->db = !!(v->attrib & SEG_ATTR_DB);
	s->g = !!(v->attrib & SEG_ATTR_G);
	s->unusable = !s->present;
}

static struct vmcb_segment *vmcb_seg(struct vmcb_save *save, int i)
{
	struct vmcb_segment *segs[SEG_COUNT] = {
		[SEG_ES] = &save->es, [SEG_CS] = &save->cs, [SEG_SS] = &save->ss,
		[SEG_DS] = &save->ds, [SEG_FS] = &save->fs, [SEG_GS] = &save->gs,
	};
	return segs[i];
}

void svm_get_sregs(struct vcpu *vcpu, struct vcpu_sregs *sregs)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	for (int i = 0; i < SEG_COUNT; i++)
		seg_from_vmcb(&sregs->seg[i], vmcb_seg(save, i));
	seg_from_vmcb(&sregs->tr, &save->tr);
	seg_from_vmcb(&sregs->ldtr, &save->ldtr);
	sregs->gdt.base = save->gdtr.base;
	sregs->gdt.limit = (u16)save->gdtr.limit;
	sregs->idt.base = save->idtr.base;
	sregs->idt.limit = (u16)save->idtr.limit;
	sregs->cr0 = save->cr0;
	sregs->cr2 = save->cr2;
	sregs->cr3 = save->cr3;
	sregs->cr4 = save->cr4;
	sregs->efer = save->efer & ~EFER_SVME; /* SVME is ours, not the guest's */
	sregs->cpl = save->cpl;
}


void svm_set_sregs(struct vcpu *vcpu, const struct vcpu_sregs *sregs)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	for (int i = 0; i < SEG_COUNT; i++)
		seg_to_vmcb(vmcb_seg(save, i), &sregs->seg[i]);
	seg_to_vmcb(&save->tr, &sregs->tr);
	seg_to_vmcb(&save->ldtr, &sregs->ldtr);
	save->gdtr.base = sregs->gdt.base;
	save->gdtr.limit = sregs->gdt.limit;
	save->idtr.base = sregs->idt.base;
	save->idtr.limit = sregs->idt.limit;
	save->cr0 = sregs->cr0;
	save->cr2 = sregs->cr2;
	save->cr3 = sregs->cr3;
	save->cr4 = sregs->cr4;
	/* VMRUN requires SVME in the guest's EFER; LMA follows LME and paging. */
	u64 efer = sregs->efer | EFER_SVME;
	if ((efer & EFER_LME) && (sregs->cr0 & CR0_PG))
		efer |= EFER_LMA;
	else
		efer &= ~EFER_LMA;
	save->efer = efer;
	save->cpl = sregs->seg[SEG_SS].dpl; /* CPL is SS.DPL (0 in real mode) */
	if (!(sregs->cr0 & 1))
		save->cpl = 0;
}

/* The guest MSRs VMLOAD/VMSAVE and VMRUN switch (hv/vm/vendor.h, get_msr). */
static u64 *msr_slot(struct vmcb_save *save, u32 index)
{
	switch (index) {
	case MSR_SYSENTER_CS: return &save->sysenter_cs;
	case MSR_SYSENTER_ESP: return &save->sysenter_esp;
	case MSR_SYSENTER_EIP: return &save->sysenter_eip;
	case MSR_PAT: return &save->g_pat;
	case MSR_STAR: return &save->star;
	case MSR_LSTAR: return &save->lstar;
	case MSR_CSTAR: return &save->cstar;
	case MSR_SFMASK: return &save->sfmask;
	case MSR_KERNEL_GS_BASE: return &save->kernel_gs_base;
	default: return NULL;
	}
}

bool svm_get_msr(struct vcpu *vcpu, u32 index, u64 *value)
{
	u64 *slot = msr_slot(&to_svm(vcpu)->vmcb->save, index);
	if (slot)
		*value = *slot;
	return slot != NULL;
}

bool svm_set_msr(struct vcpu *vcpu, u32 index, u64 value)
{
	u64 *slot = msr_slot(&to_svm(vcpu)->vmcb->save, index);
	if (slot)
		*slot = value;
	return slot != NULL;
}
