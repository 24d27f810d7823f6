/*
 * MSRs for guests: the ones of the guest state, an explicit allow-list
 * here (through the neutral guest state where the MSR is part of it), then
 * the PC's others by the CPUID rule of hv/vm/msr_pc.c. Any other index
 * raises #GP in the guest, as a CPU without that MSR would.
 */
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm.h"
#include "hv/vm/msr_pc.h"
#include "hv/vm/guest_switch.h"
#include "hv/vm/guest_tsc.h"
#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

struct msr_handler {
	u32 index;
	const char *name;
	/* false: #GP (a value the MSR does not accept, or a write to a read-only MSR) */
	bool (*read)(struct vcpu *vcpu, u64 *value);
	bool (*write)(struct vcpu *vcpu, u64 value);
	bool in_vendor_state; /* read/write NULL: the backend keeps it (vendor->get_msr) */
};

static bool tsc_read(struct vcpu *vcpu, u64 *value)
{
	*value = vcpu_guest_tsc(vcpu);
	return true;
}

static bool tsc_write(struct vcpu *vcpu, u64 value)
{
	vcpu_write_tsc(vcpu, value);
	return true;
}

static bool tsc_adjust_read(struct vcpu *vcpu, u64 *value)
{
	*value = vcpu->tsc_adjust;
	return true;
}

static bool tsc_adjust_write(struct vcpu *vcpu, u64 value)
{
	vcpu_write_tsc_adjust(vcpu, value);
	return true;
}

/* The local APIC's MSRs belong to it (hv/devices/vlapic.h). */
static bool apic_base_read(struct vcpu *vcpu, u64 *value)
{
	*value = vcpu->lapic.base;
	return true;
}

static bool apic_base_write(struct vcpu *vcpu, u64 value)
{
	return vlapic_set_base(vcpu, value);
}

static bool tsc_deadline_read(struct vcpu *vcpu, u64 *value)
{
	*value = vlapic_tsc_deadline_read(vcpu);
	return true;
}

static bool tsc_deadline_write(struct vcpu *vcpu, u64 value)
{
	vlapic_tsc_deadline_write(vcpu, value);
	return true;
}

static bool efer_read(struct vcpu *vcpu, u64 *value)
{
	struct vcpu_sregs s;
	vendor->get_sregs(vcpu, &s);
	*value = s.efer;
	return true;
}

/*
 * Reserved bits raise #GP, and so does a change of LME while paging is on
 * (SDM 9.8.5, APM 14.6.1): the CPU would leave long mode's state
 * inconsistent, and the entry with it would fail.
 */
static bool efer_write(struct vcpu *vcpu, u64 value)
{
	struct vcpu_sregs s;
	if (value & ~(EFER_WRITABLE | EFER_LMA))
		return false;
	vendor->get_sregs(vcpu, &s);
	if (((value ^ s.efer) & EFER_LME) && (s.cr0 & CR0_PG))
		return false;
	s.efer = (value & EFER_WRITABLE) | (s.efer & EFER_LMA); /* LMA is the CPU's to set */
	vendor->set_sregs(vcpu, &s);
	return true;
}

/* A canonical address: bits 63..47 all equal. */
static bool canonical(u64 v)
{
	return (u64)(((s64)v << 16) >> 16) == v;
}

static bool seg_base_access(struct vcpu *vcpu, int seg, u64 *read, const u64 *write)
{
	struct vcpu_sregs s;
	vendor->get_sregs(vcpu, &s);
	if (read) {
		*read = s.seg[seg].base;
		return true;
	}
	if (!canonical(*write))
		return false;
	s.seg[seg].base = *write;
	vendor->set_sregs(vcpu, &s);
	return true;
}

static bool fs_base_read(struct vcpu *vcpu, u64 *value) { return seg_base_access(vcpu, SEG_FS, value, NULL); }
static bool fs_base_write(struct vcpu *vcpu, u64 value) { return seg_base_access(vcpu, SEG_FS, NULL, &value); }
static bool gs_base_read(struct vcpu *vcpu, u64 *value) { return seg_base_access(vcpu, SEG_GS, value, NULL); }
static bool gs_base_write(struct vcpu *vcpu, u64 value) { return seg_base_access(vcpu, SEG_GS, NULL, &value); }

/* TSC_AUX: the vCPU's own (hv/vm/guest_switch.c), what its RDTSCP returns in ECX.
 * Only where the CPU has it; the upper 32 bits are reserved. */
static bool tsc_aux_read(struct vcpu *vcpu, u64 *value)
{
	if (!guest_has_tsc_aux())
		return false;
	*value = guest_tsc_aux(vcpu);
	return true;
}

static bool tsc_aux_write(struct vcpu *vcpu, u64 value)
{
	if (!guest_has_tsc_aux() || (value >> 32))
		return false;
	guest_set_tsc_aux(vcpu, value);
	return true;
}

/* MSRs whose value the backend keeps with the guest state (hv/vm/vendor.h, get_msr). */
static bool vendor_msr_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	return vendor->get_msr(vcpu, index, value);
}

/* PAT: eight memory types, each one of UC, WC, WT, WP, WB, UC- (0, 1, 4, 5, 6, 7). */
static bool pat_valid(u64 v)
{
	for (int i = 0; i < 8; i++) {
		u8 type = (u8)(v >> (8 * i));
		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

static bool vendor_msr_write(struct vcpu *vcpu, u32 index, u64 value)
{
	if (index == MSR_PAT && !pat_valid(value))
		return false;
	/* Non-canonical: #GP, as on Intel; VT-x would refuse to enter with such a SYSENTER_ESP/EIP
	 * (found by the guest fuzzer: VM-entry failure, invalid guest state). */
	if ((index == MSR_LSTAR || index == MSR_CSTAR || index == MSR_KERNEL_GS_BASE ||
	     index == MSR_SYSENTER_ESP || index == MSR_SYSENTER_EIP) && !canonical(value))
		return false;
	if (index == MSR_SFMASK && (value >> 32))
		return false;
	return vendor->set_msr(vcpu, index, value);
}

static const struct msr_handler allowed[] = {
	{ MSR_TSC, "TSC", tsc_read, tsc_write, false },
	{ MSR_TSC_ADJUST, "TSC_ADJUST", tsc_adjust_read, tsc_adjust_write, false },
	{ MSR_APIC_BASE, "APIC_BASE", apic_base_read, apic_base_write, false },
	{ MSR_TSC_DEADLINE, "TSC_DEADLINE", tsc_deadline_read, tsc_deadline_write, false },
	{ MSR_EFER, "EFER", efer_read, efer_write, false },
	{ MSR_FS_BASE, "FS_BASE", fs_base_read, fs_base_write, false },
	{ MSR_GS_BASE, "GS_BASE", gs_base_read, gs_base_write, false },
	{ MSR_SYSENTER_CS, "SYSENTER_CS", NULL, NULL, true },
	{ MSR_SYSENTER_ESP, "SYSENTER_ESP", NULL, NULL, true },
	{ MSR_SYSENTER_EIP, "SYSENTER_EIP", NULL, NULL, true },
	{ MSR_PAT, "PAT", NULL, NULL, true },
	{ MSR_STAR, "STAR", NULL, NULL, true },
	{ MSR_LSTAR, "LSTAR", NULL, NULL, true },
	{ MSR_CSTAR, "CSTAR", NULL, NULL, true },
	{ MSR_SFMASK, "SFMASK", NULL, NULL, true },
	{ MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE", NULL, NULL, true },
	{ MSR_TSC_AUX, "TSC_AUX", tsc_aux_read, tsc_aux_write, false },
};

void msr_vcpu_reset(struct vcpu *vcpu)
{
	msr_pc_reset(vcpu); /* IA32_APIC_BASE is reset with the local APIC (vlapic_reset) */
}

/* x2APIC registers (0x800-0x8FF): the APIC decides, #GP outside x2APIC mode. */
static bool x2apic_msr(struct vcpu *vcpu, const struct vm_exit *exit, u64 *value)
{
	if (exit->kind == EXIT_KIND_MSR_WRITE)
		return vlapic_msr_write(vcpu, exit->msr.index, exit->msr.value);
	return vlapic_msr_read(vcpu, exit->msr.index, value);
}

/* The PC's other MSRs (hv/vm/msr_pc.c); false: #GP. */
static bool pc_msr_access(struct vcpu *vcpu, const struct vm_exit *exit, u64 *value)
{
	if (exit->kind == EXIT_KIND_MSR_READ)
		return msr_pc_read(vcpu, exit->msr.index, value) == MSR_PC_DONE;
	return msr_pc_write(vcpu, exit->msr.index, exit->msr.value) == MSR_PC_DONE;
}

bool msr_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	const struct msr_handler *h = NULL;
	bool read = exit->kind == EXIT_KIND_MSR_READ;
	bool ok;
	u64 value = 0;

	vcpu->vm->stats.exits_msr++;
	for (u32 i = 0; i < ARRAY_SIZE(allowed); i++) {
		if (allowed[i].index == exit->msr.index)
			h = &allowed[i];
	}
	if (exit->msr.index >= X2APIC_MSR_FIRST && exit->msr.index <= X2APIC_MSR_LAST)
		ok = x2apic_msr(vcpu, exit, &value);
	else if (!h)
		ok = pc_msr_access(vcpu, exit, &value);
	else if (read)
		ok = h->in_vendor_state ? vendor_msr_read(vcpu, h->index, &value) : h->read(vcpu, &value);
	else
		ok = h->in_vendor_state ? vendor_msr_write(vcpu, h->index, exit->msr.value)
		     : h->write && h->write(vcpu, exit->msr.value);
	if (!ok) {
		vcpu->vm->stats.msr_denied++;
		inject_exception(vcpu, VECTOR_GP, true, 0);
	} else if (read) {
		vcpu->regs.gpr[GPR_RAX] = (u32)value;
		vcpu->regs.gpr[GPR_RDX] = value >> 32;
	}
	return ok;
}

/* RDPMC (SDM, APM): a counter the guest's CPUID announces, at CPL 0 or with CR4.PCE; else #GP(0). */
bool rdpmc_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vcpu_sregs s;
	u64 value;

	vendor->get_sregs(vcpu, &s);
	if ((s.cpl && !(s.cr4 & CR4_PCE)) || !msr_pc_rdpmc(vcpu, (u32)vcpu->regs.gpr[GPR_RCX], &value)) {
		inject_exception(vcpu, VECTOR_GP, true, 0);
		return false;
	}
	vcpu->regs.gpr[GPR_RAX] = (u32)value;
	vcpu->regs.gpr[GPR_RDX] = value >> 32;
	skip_instruction(vcpu, exit);
	return false;
}
