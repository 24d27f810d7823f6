/*
 * CPUID for guests: the host's values, filtered to what this hypervisor
 * really gives a guest (an allow-list of feature bits per leaf), plus the
 * hypervisor-present bit and the hypervisor leaf (include/hypercall.h).
 */
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm.h"
#include "hv/cpu/cpu.h"
#include "kstring.h"
#include "hv/cpu/time.h"
#include "hv/vm/msr_pc.h"

#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_ECX_X2APIC (1u << 21)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF7_EBX_TSC_ADJUST (1u << 1)

/*
 * Bits a guest may see, per leaf; a leaf not listed reads zeros.
 * x2APIC and TSC-deadline are the virtual local APIC's (hv/devices/vlapic.h),
 * shown whatever the host has. Hidden on purpose: VMX, SVM, XSAVE/AVX
 * (XSETBV and the state are handled, hv/vm/guest_switch.c, but leaf 0xD
 * reads zeros), PCID, RDTSCP (TSC_AUX is per vCPU and allowed, the bit is
 * not shown yet), the speculation controls of leaf 7 EDX and 0x80000008 EBX
 * (SPEC_CTRL and friends raise #GP), monitor/mwait and everything about
 * power management. Shown with their MSRs (hv/vm/msr_pc.c): MCE/MCA, MTRR,
 * and on Intel an architectural PMU (leaf 0xA) whose counters admit no event.
 */
struct cpuid_filter {
	u32 leaf;
	u32 eax, ebx, ecx, edx;
};

#define LEAF1_EDX_OK 0x079af3ffu /* FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
#define LEAF1_ECX_OK 0x42d82203u /* SSE3 PCLMUL SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND */

static const struct cpuid_filter filters[] = {
	{ 0x00000000, ~0u, ~0u, ~0u, ~0u },            /* max leaf (capped below), vendor */
	{ 0x00000001, ~0u, 0x0000ffffu, LEAF1_ECX_OK, LEAF1_EDX_OK }, /* APIC ID / count set below */
	{ 0x00000007, 0, 0x000c0308u, 0, 0 },          /* BMI1 BMI2 ERMS RDSEED ADX (and TSC_ADJUST, below) */
	{ 0x80000000, ~0u, ~0u, ~0u, ~0u },            /* max extended leaf (capped below), vendor */
	{ 0x80000001, ~0u, 0, 0x00000161u,             /* LAHF ABM SSE4A PREFETCHW */
	  (LEAF1_EDX_OK & 0x0183f3ffu) | (1u << 11) | (1u << 20) | (1u << 26) | (1u << 29) }, /* + SYSCALL NX Page1GB LM */
	{ 0x80000002, ~0u, ~0u, ~0u, ~0u },            /* brand string */
	{ 0x80000003, ~0u, ~0u, ~0u, ~0u },
	{ 0x80000004, ~0u, ~0u, ~0u, ~0u },
	{ 0x80000008, 0x0000ffffu, 0, 0, 0 },          /* address sizes */
};

#define MAX_BASIC_LEAF 0xdu /* leaf 0xA (PMU) and 0xD (XSAVE: none) answered */
#define MAX_EXT_LEAF 0x80000008u
#define INTEL_EBX "Genu"

static void hypervisor_leaf(u32 leaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0 };
	if (leaf == HV_CPUID_LEAF) {
		r->eax = HV_CPUID_MAX_LEAF;
		r->ebx = HV_CPUID_SIG_EBX;
		r->ecx = HV_CPUID_SIG_ECX;
		r->edx = HV_CPUID_SIG_EDX;
	} else if (leaf == HV_CPUID_TIMING_LEAF) {
		r->eax = (u32)(time_tsc_hz() / 1000);
		r->ebx = HV_APIC_BUS_KHZ;
	}
}

/*
 * Intel's architectural PMU, version 1: MSR_PC_INTEL_COUNTERS counters of
 * MSR_PC_COUNTER_BITS bits (hv/vm/msr_pc.c) and EBX saying that none of the
 * seven architectural events is available, which is why they count nothing.
 */
static void pmu_leaf(struct cpuid_regs *r)
{
	struct cpuid_regs host = cpuid(0, 0);
	*r = (struct cpuid_regs){ 0 };
	if (memcmp(&host.ebx, INTEL_EBX, 4))
		return; /* AMD: leaf 0xA is reserved; its counters have no leaf */
	r->eax = 1 | (MSR_PC_INTEL_COUNTERS << 8) | (MSR_PC_COUNTER_BITS << 16) | (7u << 24);
	r->ebx = 0x7f;
}

/* Leaves above the maximum return the highest basic leaf, as Intel CPUs and QEMU do. */
static u32 leaf_in_range(u32 leaf)
{
	if (leaf < 0x40000000u)
		return leaf > MAX_BASIC_LEAF ? MAX_BASIC_LEAF : leaf;
	if (leaf >= 0x80000000u && leaf > MAX_EXT_LEAF)
		return MAX_BASIC_LEAF;
	return leaf;
}

void cpuid_for_guest(const struct vcpu *vcpu, u32 leaf, u32 subleaf, struct cpuid_regs *out)
{
	*out = (struct cpuid_regs){ 0 };
	leaf = leaf_in_range(leaf);
	if ((leaf & 0xf0000000u) == 0x40000000u) {
		hypervisor_leaf(leaf, out);
		return;
	}
	if (leaf == 0xa) {
		pmu_leaf(out);
		return;
	}
	for (u32 i = 0; i < ARRAY_SIZE(filters); i++) {
		const struct cpuid_filter *f = &filters[i];
		if (f->leaf != leaf)
			continue;
		struct cpuid_regs host = cpuid(leaf, subleaf);
		out->eax = host.eax & f->eax;
		out->ebx = host.ebx & f->ebx;
		out->ecx = host.ecx & f->ecx;
		out->edx = host.edx & f->edx;
	}
	if (leaf == 0)
		out->eax = MAX_BASIC_LEAF; /* every leaf up to it is answered here */
	else if (leaf == 0x80000000u)
		out->eax = MIN(out->eax, MAX_EXT_LEAF);
	else if (leaf == 1) {
		out->ecx |= LEAF1_ECX_HYPERVISOR | LEAF1_ECX_X2APIC | LEAF1_ECX_TSC_DEADLINE;
		out->ebx |= (vcpu->id << 24) | (vcpu->vm->nvcpus << 16); /* APIC ID, logical CPUs */
	} else if (leaf == 7 && subleaf == 0) {
		out->ebx |= LEAF7_EBX_TSC_ADJUST; /* emulated (hv/vm/guest_tsc.h) */
	} else if (leaf == 7 && subleaf != 0) {
		*out = (struct cpuid_regs){ 0 };
	}
}

bool cpuid_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct cpuid_regs r;

	vcpu->vm->stats.exits_cpuid++;
	cpuid_for_guest(vcpu, exit->cpuid.leaf, exit->cpuid.subleaf, &r);
	vcpu->regs.gpr[GPR_RAX] = r.eax;
	vcpu->regs.gpr[GPR_RBX] = r.ebx;
	vcpu->regs.gpr[GPR_RCX] = r.ecx;
	vcpu->regs.gpr[GPR_RDX] = r.edx;
	return true;
}
