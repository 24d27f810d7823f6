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
#include "hv/vm/guest_switch.h"
#include "hv/vm/xcr0.h"
#include "x86.h"

#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_ECX_X2APIC (1u << 21)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF7_EBX_TSC_ADJUST (1u << 1)
#define LEAF1_ECX_XSAVE (1u << 26)
#define LEAF1_ECX_OSXSAVE (1u << 27)
#define LEAF1_ECX_AVX_FAMILY 0x30001000u /* FMA AVX F16C */
#define LEAF7_EBX_AVX2 (1u << 5)
#define LEAF7_EBX_AVX512 0xd0030000u     /* F DQ CD BW VL */
#define XSAVE_LEGACY_AND_HEADER 576u     /* the FXSAVE region and the XSAVE header */
#define LEAF_D1_EAX_XSAVEOPT (1u << 0)

/*
 * Bits a guest may see, per leaf; a leaf not listed reads zeros.
 * x2APIC and TSC-deadline are the virtual local APIC's (hv/devices/vlapic.h),
 * shown whatever the host has. XSAVE, and AVX, AVX2 and AVX-512 with it, are
 * shown when their state is switched per vCPU (xstate_features below).
 * Hidden on purpose: VMX, SVM, XSAVES/XSAVEC (IA32_XSS is not emulated),
 * PCID, RDTSCP (TSC_AUX is per vCPU and allowed, but VT-x's "enable RDTSCP"
 * is optional), the speculation controls of leaf 7 EDX and 0x80000008 EBX
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

#define MAX_BASIC_LEAF 0xdu /* leaf 0xA (PMU) and 0xD (XSAVE) answered */
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

/* The XSAVE area's size in the standard format for the components of `xcr0`. */
static u32 xsave_size(u64 xcr0)
{
	u32 size = XSAVE_LEGACY_AND_HEADER;
	for (u32 i = 2; i < 64; i++) {
		if (xcr0 >> i & 1) {
			struct cpuid_regs c = cpuid(0xd, i);
			size = MAX(size, c.ebx + c.eax); /* offset + size */
		}
	}
	return size;
}

/* Leaf 0xD: the components guests may enable, sized as the host lays them out. */
static void xsave_leaf(const struct vcpu *vcpu, u32 subleaf, struct cpuid_regs *out)
{
	u64 supported = guest_xcr0_supported();
	*out = (struct cpuid_regs){ 0 };
	if (!supported)
		return;
	if (subleaf == 0) {
		out->eax = (u32)supported;
		out->edx = (u32)(supported >> 32);
		out->ebx = xsave_size(guest_xcr0(vcpu)); /* for what XCR0 enables now */
		out->ecx = xsave_size(supported);
	} else if (subleaf == 1) {
		out->eax = cpuid(0xd, 1).eax & LEAF_D1_EAX_XSAVEOPT;
	} else if (subleaf < 64 && (supported >> subleaf & 1)) {
		*out = cpuid(0xd, subleaf);
		out->edx = 0;
	}
}

/* XSAVE and the instructions whose registers it holds, as far as guests may enable their state. */
static void xstate_features(u32 leaf, u32 subleaf, struct cpuid_regs *out)
{
	u64 supported = guest_xcr0_supported();
	if (!supported || (leaf != 1 && !(leaf == 7 && subleaf == 0)))
		return;
	struct cpuid_regs host = cpuid(leaf, subleaf);
	if (leaf == 1) {
		out->ecx |= host.ecx & LEAF1_ECX_XSAVE;
		if (supported & XCR0_AVX)
			out->ecx |= host.ecx & LEAF1_ECX_AVX_FAMILY;
	} else {
		if (supported & XCR0_AVX)
			out->ebx |= host.ebx & LEAF7_EBX_AVX2;
		if ((supported & XCR0_AVX512) == XCR0_AVX512)
			out->ebx |= host.ebx & LEAF7_EBX_AVX512;
	}
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
	if (leaf == 0xd) {
		xsave_leaf(vcpu, subleaf, out);
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
	xstate_features(leaf, subleaf, out);
}

bool cpuid_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct cpuid_regs r;

	vcpu->vm->stats.exits_cpuid++;
	cpuid_for_guest(vcpu, exit->cpuid.leaf, exit->cpuid.subleaf, &r);
	if (exit->cpuid.leaf == 1 && (r.ecx & LEAF1_ECX_XSAVE)) {
		struct vcpu_sregs s;
		vendor->get_sregs(vcpu, &s); /* OSXSAVE mirrors the guest's CR4 */
		if (s.cr4 & CR4_OSXSAVE)
			r.ecx |= LEAF1_ECX_OSXSAVE;
	}
	vcpu->regs.gpr[GPR_RAX] = r.eax;
	vcpu->regs.gpr[GPR_RBX] = r.ebx;
	vcpu->regs.gpr[GPR_RCX] = r.ecx;
	vcpu->regs.gpr[GPR_RDX] = r.edx;
	return true;
}
