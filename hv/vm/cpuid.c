/*
 * CPUID for guests: the host's values, filtered to what this hypervisor
 * really gives a guest (an allow-list of feature bits per leaf), plus the
 * hypervisor-present bit and the hypervisor leaf (include/hypercall.h).
 */
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/time.h"

#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_ECX_X2APIC (1u << 21)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF7_EBX_TSC_ADJUST (1u << 1)

/*
 * Bits a guest may see, per leaf; a leaf not listed reads zeros.
 * x2APIC and TSC-deadline are the virtual local APIC's (hv/devices/vlapic.h),
 * TSC_ADJUST the guest TSC's (hv/vm/guest_tsc.h): shown whatever the host has. Hidden on purpose: VMX, SVM, XSAVE/AVX (no XSETBV handling),
 * PCID, MCE/MCA, MTRR, RDTSCP (their MSRs are not on the allow-list),
 * monitor/mwait and everything about power management.
 */
struct cpuid_filter {
	u32 leaf;
	u32 eax, ebx, ecx, edx;
};

#define LEAF1_EDX_OK 0x079ab37fu /* FPU VME DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
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

#define MAX_BASIC_LEAF 0x7u
#define MAX_EXT_LEAF 0x80000008u

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
		r->ebx = (u32)(VLAPIC_BUS_HZ / 1000);
	}
}

void cpuid_for_guest(const struct vcpu *vcpu, u32 leaf, u32 subleaf, struct cpuid_regs *out)
{
	*out = (struct cpuid_regs){ 0 };
	if ((leaf & 0xf0000000u) == 0x40000000u) {
		hypervisor_leaf(leaf, out);
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
		out->eax = MIN(out->eax, MAX_BASIC_LEAF);
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
