/*
 * Guest state between the neutral form (struct vcpu_sregs) and the VMCS, and
 * the guest's control-register writes. VMX adds rules of its own that are
 * kept here: the CR0/CR4 fixed bits (hidden behind read shadows), EFER.LMA
 * and the IA-32e mode entry control following EFER.LME and CR0.PG, a TR
 * that is a busy TSS, and "unusable" for absent segments.
 * The vCPU's VMCS must be current.
 */
#include "vmx/vmx.h"
#include "hv/cpu/cpu.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"

static u32 seg_to_ar(const struct vcpu_segment *s)
{
	if (s->unusable || !s->present)
		return AR_UNUSABLE;
	return (s->type & 0xfu) | (s->s ? AR_S : 0) | (u32)(s->dpl & 3) << 5 | AR_P |
	       (s->avl ? 1u << 12 : 0) | (s->l ? AR_L : 0) | (s->db ? AR_DB : 0) | (s->g ? AR_G : 0);
}

static struct vcpu_segment ar_to_seg(u16 sel, u64 base, u32 limit, u32 ar)
{
	return (struct vcpu_segment){
		.selector = sel, .base = base, .limit = limit, .type = AR_TYPE(ar),
		.s = !!(ar & AR_S), .dpl = (u8)AR_DPL(ar), .present = !!(ar & AR_P),
		.avl = !!(ar & (1u << 12)), .l = !!(ar & AR_L), .db = !!(ar & AR_DB),
		.g = !!(ar & AR_G), .unusable = !!(ar & AR_UNUSABLE),
	};
}

static void write_seg(int vs, const struct vcpu_segment *s, u32 ar)
{
	vmcs_write(VMCS_SEG_SEL(vs), s->selector);
	vmcs_write(VMCS_SEG_BASE(vs), s->base);
	vmcs_write(VMCS_SEG_LIMIT(vs), s->limit);
	vmcs_write(VMCS_SEG_AR(vs), ar);
}

static struct vcpu_segment read_seg(int vs)
{
	return ar_to_seg((u16)vmcs_read(VMCS_SEG_SEL(vs)), vmcs_read(VMCS_SEG_BASE(vs)),
			 (u32)vmcs_read(VMCS_SEG_LIMIT(vs)), (u32)vmcs_read(VMCS_SEG_AR(vs)));
}

/* Code and data segments the CPU loaded always have the accessed bit; VM entry insists. */
static u32 code_data_ar(const struct vcpu_segment *s)
{
	u32 ar = seg_to_ar(s);
	return (ar & AR_UNUSABLE) ? ar : ar | 1;
}

/* VM entry wants TR to be a busy TSS (3: 16-bit, 11: 32/64-bit), never unusable. */
static u32 tr_ar(const struct vcpu_segment *s)
{
	struct vcpu_segment t = *s;
	t.present = 1;
	t.unusable = 0;
	t.s = 0;
	if (t.type == 1 || t.type == 9)
		t.type |= 2; /* available -> busy */
	else if (t.type != 3 && t.type != 11)
		t.type = 11;
	return seg_to_ar(&t);
}

static u32 ldtr_ar(const struct vcpu_segment *s)
{
	return s->type == 2 && !s->s ? seg_to_ar(s) : AR_UNUSABLE;
}

static u64 guest_cr0(void)
{
	u64 mask = vmcs_read(VMCS_CR0_MASK);
	return (vmcs_read(VMCS_CR0_SHADOW) & mask) | (vmcs_read(VMCS_GUEST_CR0) & ~mask);
}

static u64 guest_cr4(void)
{
	u64 mask = vmcs_read(VMCS_CR4_MASK);
	return (vmcs_read(VMCS_CR4_SHADOW) & mask) | (vmcs_read(VMCS_GUEST_CR4) & ~mask);
}

/* EFER.LMA = LME && CR0.PG, and the IA-32e mode entry control equals LMA. */
static void sync_long_mode(u64 cr0)
{
	u64 efer = vmcs_read(VMCS_GUEST_EFER);
	u32 entry = (u32)vmcs_read(VMCS_ENTRY_CONTROLS);
	bool lma = (efer & EFER_LME) && (cr0 & CR0_PG);

	efer = lma ? efer | EFER_LMA : efer & ~EFER_LMA;
	entry = lma ? entry | ENTRY_IA32E_GUEST : entry & ~ENTRY_IA32E_GUEST;
	vmcs_write(VMCS_GUEST_EFER, efer);
	vmcs_write(VMCS_ENTRY_CONTROLS, entry);
	/* A guest entering long mode still holds its real-mode TR (a 16-bit busy TSS),
	 * which IA-32e mode VM entry refuses; real CPUs never look at it until LTR. */
	u32 tr = (u32)vmcs_read(VMCS_GUEST_TR_AR);
	if (lma && AR_TYPE(tr) != 11)
		vmcs_write(VMCS_GUEST_TR_AR, (tr & ~0xfu) | 11);
}

void vmx_set_cr0(struct vcpu *vcpu, u64 cr0)
{
	/* Unrestricted guest: PE and PG are the guest's own, every other fixed bit is forced. */
	u64 fixed0 = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
	vmcs_write(VMCS_CR0_SHADOW, cr0);
	vmcs_write(VMCS_GUEST_CR0, vmx_cr_fixed(cr0, fixed0, vmx_caps.cr0_fixed1));
	sync_long_mode(cr0);
}

void vmx_set_cr4(struct vcpu *vcpu, u64 cr4)
{
	vmcs_write(VMCS_CR4_SHADOW, cr4);
	vmcs_write(VMCS_GUEST_CR4, vmx_cr_fixed(cr4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1));
}

void vmx_set_sregs(struct vcpu *vcpu, const struct vcpu_sregs *s)
{
	u64 flags = vmx_vmcs_begin(vcpu);
	for (int i = 0; i < SEG_COUNT; i++)
		write_seg(i, &s->seg[i], code_data_ar(&s->seg[i])); /* enum vcpu_seg == enum vmx_seg */
	write_seg(VMX_LDTR, &s->ldtr, ldtr_ar(&s->ldtr));
	write_seg(VMX_TR, &s->tr, tr_ar(&s->tr));
	vmcs_write(VMCS_GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, s->idt.base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, s->idt.limit);
	vmcs_write(VMCS_GUEST_CR3, s->cr3);
	to_vmx(vcpu)->cr2 = s->cr2;
	vmx_set_cr4(vcpu, s->cr4);
	vmcs_write(VMCS_GUEST_EFER, s->efer);
	vmx_set_cr0(vcpu, s->cr0); /* last: derives EFER.LMA and the IA-32e control */
	vmx_vmcs_end(flags);
}

void vmx_get_sregs(struct vcpu *vcpu, struct vcpu_sregs *s)
{
	u64 flags = vmx_vmcs_begin(vcpu);
	for (int i = 0; i < SEG_COUNT; i++)
		s->seg[i] = read_seg(i);
	s->ldtr = read_seg(VMX_LDTR);
	s->tr = read_seg(VMX_TR);
	s->gdt = (struct vcpu_dtable){ vmcs_read(VMCS_GUEST_GDTR_BASE), (u16)vmcs_read(VMCS_GUEST_GDTR_LIMIT) };
	s->idt = (struct vcpu_dtable){ vmcs_read(VMCS_GUEST_IDTR_BASE), (u16)vmcs_read(VMCS_GUEST_IDTR_LIMIT) };
	s->cr0 = guest_cr0();
	s->cr2 = to_vmx(vcpu)->cr2;
	s->cr3 = vmcs_read(VMCS_GUEST_CR3);
	s->cr4 = guest_cr4();
	s->efer = vmcs_read(VMCS_GUEST_EFER);
	s->cpl = s->seg[SEG_SS].dpl; /* SDM 26.3.1.5: SS.DPL is the CPL (0 in real mode) */
	vmx_vmcs_end(flags);
}

void vmx_break_guest_state(struct vcpu *vcpu)
{
	u32 ar = (u32)vmcs_read(VMCS_GUEST_TR_AR);
	vmcs_write(VMCS_GUEST_TR_AR, (ar & ~0xfu) | 9); /* an available 32-bit TSS: not busy */
}

/* PDPTE bits that must be 0 when P is set: 2:1, 8:5 and those above MAXPHYADDR. */
static u64 pdpte_reserved(void)
{
	u32 maxphy = cpuid(0x80000008, 0).eax & 0xff;
	return 0x1e6ull | (maxphy < 64 ? ~0ull << maxphy : 0);
}

bool vmx_load_pdptes(struct vcpu *vcpu, u64 cr3)
{
	u64 pdpte[4];
	if (!vm_read_gpa(vcpu->vm, cr3 & ~0x1full, pdpte, sizeof(pdpte)))
		return false;
	for (int i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & pdpte_reserved()))
			return false;
	for (int i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return true;
}
