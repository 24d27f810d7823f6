/*
 * The guest-state checks of SDM vol. 3, 27.3.1, in the order the manual lists
 * them, limited to what can go wrong here (no virtual-8086 mode, no SMM).
 * Each check that fails records the field, the rule and the value, and stops.
 */
#include "vmx/guest_check.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"
#include "x86.h"

static const char *const seg_names[VMX_NSEG] = {
	"guest ES", "guest CS", "guest SS", "guest DS", "guest FS", "guest GS", "guest LDTR", "guest TR",
};

#define FAIL(fld, why, val)                                                   \
	do {                                                                  \
		*f = (struct vmx_check_failure){ .field = (fld), .rule = (why), \
						 .value = (u64)(val) };       \
		return true;                                                  \
	} while (0)

#define RFLAGS_RESERVED (~0x3f7fd7ull) /* bits 3, 5, 15 and 22-63 must be 0 */
#define EFER_RESERVED (~0xd01ull) /* SCE, LME, LMA, NXE */

static bool check_control_regs(const struct vmx_guest_state *g, struct vmx_check_failure *f)
{
	bool unrestricted = g->proc2_ctls & PROC2_UNRESTRICTED_GUEST;
	bool ia32e = g->entry_ctls & ENTRY_IA32E_GUEST;
	u64 fixed0 = g->cr0_fixed0;

	if (unrestricted)
		fixed0 &= ~(CR0_PE | CR0_PG);
	if ((g->cr0 & fixed0) != fixed0)
		FAIL("guest CR0", "a bit fixed to 1 in VMX operation is clear", g->cr0);
	/* CD and NW are never checked: VM entry does not load them. */
	if (g->cr0 & ~g->cr0_fixed1 & ~(CR0_CD | CR0_NW) & 0xffffffffull)
		FAIL("guest CR0", "a bit fixed to 0 in VMX operation is set", g->cr0);
	if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
		FAIL("guest CR0", "PG is set while PE is clear", g->cr0);
	if ((g->cr4 & g->cr4_fixed0) != g->cr4_fixed0)
		FAIL("guest CR4", "a bit fixed to 1 in VMX operation (VMXE) is clear", g->cr4);
	if (g->cr4 & ~g->cr4_fixed1)
		FAIL("guest CR4", "a bit fixed to 0 in VMX operation is set", g->cr4);
	if (ia32e && (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE)))
		FAIL("IA-32e mode guest", "requires CR0.PG and CR4.PAE set (CR0, CR4 follow)",
		     (g->cr0 & 0xffffffffull) | g->cr4 << 32);
	if (!ia32e && (g->cr4 & CR4_PCIDE))
		FAIL("guest CR4", "PCIDE is set outside IA-32e mode", g->cr4);
	if (g->dr7 >> 32)
		FAIL("guest DR7", "bits 63:32 must be 0", g->dr7);
	if (g->entry_ctls & ENTRY_LOAD_EFER) {
		if (g->efer & EFER_RESERVED)
			FAIL("guest IA32_EFER", "a reserved bit is set", g->efer);
		if (!!(g->efer & EFER_LMA) != ia32e)
			FAIL("guest IA32_EFER", "LMA differs from the IA-32e mode guest entry control", g->efer);
		if ((g->cr0 & CR0_PG) && !!(g->efer & EFER_LMA) != !!(g->efer & EFER_LME))
			FAIL("guest IA32_EFER", "LMA differs from LME while CR0.PG is set", g->efer);
	}
	return false;
}

static bool limit_fits_granularity(u32 limit, u32 ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & AR_G))
		return false;
	if ((limit >> 20) && !(ar & AR_G))
		return false;
	return true;
}

static bool check_segment(const struct vmx_guest_state *g, int s, struct vmx_check_failure *f)
{
	const struct vmx_seg_state *sg = &g->seg[s];
	const char *name = seg_names[s];
	u32 ar = sg->ar, type = AR_TYPE(ar);
	bool unrestricted = g->proc2_ctls & PROC2_UNRESTRICTED_GUEST;
	bool ia32e = g->entry_ctls & ENTRY_IA32E_GUEST;

	if (s == VMX_TR) {
		if (ar & AR_UNUSABLE)
			FAIL(name, "must be usable", ar);
		if (sg->sel & 4)
			FAIL(name, "selector TI flag must be 0", sg->sel);
		if (ia32e ? type != 11 : (type != 3 && type != 11))
			FAIL(name, "type must be a busy TSS (11; or 3 outside IA-32e mode)", type);
	} else if (ar & AR_UNUSABLE) {
		if (s == VMX_CS)
			FAIL(name, "must be usable", ar);
		return false;
	}

	if (s == VMX_LDTR) {
		if (sg->sel & 4)
			FAIL(name, "selector TI flag must be 0", sg->sel);
		if (type != 2)
			FAIL(name, "type must be LDT (2)", type);
	}
	if (s == VMX_CS) {
		bool ok = type == 9 || type == 11 || type == 13 || type == 15 ||
			  (unrestricted && type == 3);
		if (!ok)
			FAIL(name, "type must be an accessed code segment (9, 11, 13, 15; 3 with unrestricted guest)", type);
		if (ia32e && (ar & AR_L) && (ar & AR_DB))
			FAIL(name, "L and D/B both set in IA-32e mode", ar);
	}
	if (s == VMX_SS) {
		if (type != 3 && type != 7)
			FAIL(name, "type must be a read/write accessed data segment (3 or 7)", type);
		if (unrestricted && !(g->cr0 & CR0_PE) && AR_DPL(ar) != 0)
			FAIL(name, "DPL must be 0 in real mode", AR_DPL(ar));
		if (!unrestricted && AR_DPL(ar) != (sg->sel & 3u))
			FAIL(name, "DPL must equal the selector's RPL", ar);
	}
	if (s == VMX_DS || s == VMX_ES || s == VMX_FS || s == VMX_GS) {
		if (!(type & 1))
			FAIL(name, "type must have the accessed bit set", type);
		if ((type & 8) && !(type & 2))
			FAIL(name, "a code segment here must be readable", type);
	}
	bool system = s == VMX_TR || s == VMX_LDTR;
	if (system == !!(ar & AR_S))
		FAIL(name, system ? "S flag must be 0 (system segment)" : "S flag must be 1 (code/data)", ar);
	if (!(ar & AR_P))
		FAIL(name, "P (present) must be set", ar);
	if (ar & 0xf00)
		FAIL(name, "access-rights bits 11:8 are reserved", ar);
	if (ar >> 17)
		FAIL(name, "access-rights bits 31:17 are reserved", ar);
	if (!limit_fits_granularity(sg->limit, ar))
		FAIL(name, "limit does not agree with the G flag", sg->limit);
	return false;
}

static bool check_other_state(const struct vmx_guest_state *g, struct vmx_check_failure *f)
{
	if (g->gdtr_limit >> 16)
		FAIL("guest GDTR", "limit bits 31:16 must be 0", g->gdtr_limit);
	if (g->idtr_limit >> 16)
		FAIL("guest IDTR", "limit bits 31:16 must be 0", g->idtr_limit);
	if (!(g->rflags & RFLAGS_FIXED1) || (g->rflags & RFLAGS_RESERVED))
		FAIL("guest RFLAGS", "bit 1 must be 1 and reserved bits 0", g->rflags);
	if ((g->rflags & RFLAGS_VM) && ((g->entry_ctls & ENTRY_IA32E_GUEST) || !(g->cr0 & CR0_PE)))
		FAIL("guest RFLAGS", "VM set in IA-32e mode or with CR0.PE clear", g->rflags);
	if (g->activity > 3)
		FAIL("guest activity state", "must be 0-3", g->activity);
	if (g->interruptibility >> 5)
		FAIL("guest interruptibility state", "bits 31:5 are reserved", g->interruptibility);
	if ((g->interruptibility & INTERRUPTIBILITY_STI) && (g->interruptibility & INTERRUPTIBILITY_MOV_SS))
		FAIL("guest interruptibility state", "blocking by STI and by MOV SS both set", g->interruptibility);
	if ((g->interruptibility & INTERRUPTIBILITY_STI) && !(g->rflags & RFLAGS_IF))
		FAIL("guest interruptibility state", "blocking by STI with RFLAGS.IF clear", g->interruptibility);
	if (g->link_pointer != ~0ull)
		FAIL("VMCS link pointer", "must be all ones (no shadow VMCS)", g->link_pointer);
	return false;
}

bool vmx_check_guest_state(const struct vmx_guest_state *g, struct vmx_check_failure *f)
{
	if (check_control_regs(g, f))
		return true;
	for (int s = 0; s < VMX_NSEG; s++)
		if (check_segment(g, s, f))
			return true;
	return check_other_state(g, f);
}
