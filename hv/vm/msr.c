/*
 * MSRs for guests: an explicit allow-list. Every entry is emulated here
 * (through the neutral guest state where the MSR is part of it); any other
 * index raises #GP in the guest, as a CPU without that MSR would.
 */
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm.h"
#include "hv/vm/guest_switch.h"


#define APIC_BASE_DEFAULT 0xfee00000ull
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_WRITABLE (APIC_BASE_ENABLE) /* the xAPIC stays at its default address */

#define MSR_TSC_AUX 0xc0000103u
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
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	*value = ((u64)hi << 32) | lo; /* the guest's TSC is the host's (no offset) */
	return true;
}

static u64 apic_base_reset(const struct vcpu *vcpu)
{
	return APIC_BASE_DEFAULT | APIC_BASE_ENABLE | (vcpu->id == 0 ? APIC_BASE_BSP : 0);
}

static bool apic_base_read(struct vcpu *vcpu, u64 *value)
{
	*value = vcpu->apic_base;
	return true;
}

static bool apic_base_write(struct vcpu *vcpu, u64 value)
{
	u64 fixed = apic_base_reset(vcpu) & ~APIC_BASE_WRITABLE;
	if ((value & ~APIC_BASE_WRITABLE) != fixed)
		return false; /* moving the APIC or flipping BSP is not supported */
	vcpu->apic_base = value;
	return true;
}

static bool efer_read(struct vcpu *vcpu, u64 *value)
{
	struct vcpu_sregs s;
	vendor->get_sregs(vcpu, &s);
	*value = s.efer;
	return true;
}

static bool efer_write(struct vcpu *vcpu, u64 value)
{
	struct vcpu_sregs s;
	if (value & ~(EFER_WRITABLE | EFER_LMA))
		return false;
	vendor->get_sregs(vcpu, &s);
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
	{ MSR_TSC, "TSC", tsc_read, NULL, false },
	{ MSR_APIC_BASE, "APIC_BASE", apic_base_read, apic_base_write, false },
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
	vcpu->apic_base = apic_base_reset(vcpu);
}

bool msr_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	const struct msr_handler *h = NULL;
	bool ok = false;
	u64 value;

	vcpu->vm->stats.exits_msr++;
	for (u32 i = 0; i < ARRAY_SIZE(allowed); i++) {
		if (allowed[i].index == exit->msr.index)
			h = &allowed[i];
	}
	if (h && exit->kind == EXIT_KIND_MSR_READ) {
		ok = h->in_vendor_state ? vendor_msr_read(vcpu, h->index, &value) : h->read(vcpu, &value);
		if (ok) {
			vcpu->regs.gpr[GPR_RAX] = (u32)value;
			vcpu->regs.gpr[GPR_RDX] = value >> 32;
		}
	} else if (h && exit->kind == EXIT_KIND_MSR_WRITE) {
		ok = h->in_vendor_state ? vendor_msr_write(vcpu, h->index, exit->msr.value)
		     : h->write && h->write(vcpu, exit->msr.value);
	}
	if (!ok) {
		vcpu->vm->stats.msr_denied++;
		inject_exception(vcpu, VECTOR_GP, true, 0);
	}
	return ok;
}
