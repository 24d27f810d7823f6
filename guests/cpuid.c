/* CPUID as the hypervisor shows it: the hypervisor-present bit, its leaves
 * 0x40000000 and 0x40000010 (include/hypercall.h), features hidden from the
 * guest, and leaves that agree with each other (XSAVE sizes with XCR0, the
 * PMU leaf with its MSRs, AMD's mirrored feature bits, out-of-range leaves). */
#include "guest.h"
#include "x86.h"

#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define AMD_MIRRORED_EDX 0x0183f3ffu /* 0x80000001:EDX bits that copy leaf 1 on AMD */
#define MSR_PMC0 0xC1u

static u64 xgetbv0(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

/* XSAVE area size for the components of `xcr0`: legacy + header, then each one's end. */
static u32 xsave_size(u64 xcr0)
{
	u32 size = 512 + 64;
	for (u32 i = 2; i < 63; i++) {
		if (!(xcr0 & (1ull << i)))
			continue;
		struct cpuid_regs c = cpuid(0xd, i);
		size = MAX(size, c.ebx + c.eax);
	}
	return size;
}

static void xsave_leaf(struct cpuid_regs r1)
{
	struct cpuid_regs d0 = cpuid(0xd, 0);
	if (!(r1.ecx & CPUID1_ECX_XSAVE)) {
		ok(!(d0.eax | d0.ebx | d0.ecx | d0.edx), "no XSAVE: leaf 0xD names no state component");
		return;
	}
	if (!(r1.ecx & CPUID1_ECX_OSXSAVE)) {
		ok((d0.eax & 3) == 3, "XSAVE: leaf 0xD supports x87 and SSE state (XCR0 not enabled yet)");
		return;
	}
	u64 xcr0 = xgetbv0();
	ok_eq(d0.ebx, xsave_size(xcr0), "leaf 0xD EBX is the XSAVE size of XCR0 0x%llx", (unsigned long long)xcr0);
}

static void do_rdmsr(void *index)
{
	rdmsr(*(u32 *)index);
}

/* The exception RDMSR raises, or -1. */
static int rdmsr_fault(u32 index)
{
	return catch_exception(do_rdmsr, &index);
}

/* Leaf 0xA (Intel): N counters of the width it says, each PMC readable, PMC N not there. */
static void pmu_leaf(struct cpuid_regs r0)
{
	bool intel = !memcmp(&r0.ebx, "Genu", 4);
	struct cpuid_regs a = r0.eax >= 0xa ? cpuid(0xa, 0) : (struct cpuid_regs){ 0 };
	u32 version = a.eax & 0xff, n = version ? (a.eax >> 8) & 0xff : 0;
	if (!intel) {
		ok(!(a.eax | a.ebx | a.ecx | a.edx) || r0.eax < 0xa, "not Intel: leaf 0xA (PMU) is empty");
		skip("not Intel", "PMC MSRs agree with leaf 0xA");
		return;
	}
	ok(!version || (n >= 1 && ((a.eax >> 16) & 0xff) >= 32), "leaf 0xA: version %u, %u counters of %u bits",
	   version, n, (a.eax >> 16) & 0xff);
	bool all = true;
	for (u32 i = 0; i < n; i++)
		all &= rdmsr_fault(MSR_PMC0 + i) < 0;
	ok(all && rdmsr_fault(MSR_PMC0 + n) == EXC_GP, "hv: PMC0..%d read, PMC%u raises #GP", (int)n - 1, n);
}

/* Timing leaf: a TSC between 1 MHz (Bochs runs at a few) and 10 GHz; the pit guest measures it. */
static void timing_leaf(void)
{
	struct cpuid_regs t = cpuid(HV_CPUID_TIMING_LEAF, 0);
	ok(t.eax >= 1000 && t.eax <= 10000000, "hv: leaf 0x40000010 EAX: TSC %u kHz", t.eax);
	ok_eq(t.ebx, HV_APIC_BUS_KHZ, "hv: leaf 0x40000010 EBX: APIC bus 1 GHz in kHz");
}

static void agreement(struct cpuid_regs r0, struct cpuid_regs r1, struct cpuid_regs ext0,
		      struct cpuid_regs ext1)
{
	struct cpuid_regs top = cpuid(r0.eax, 0), above = cpuid(r0.eax + 0x100, 0);
	ok(!memcmp(&top, &above, sizeof(top)), "a leaf above the maximum 0x%x returns the highest basic leaf",
	   r0.eax);
	if (memcmp(&r0.ebx, "Auth", 4))
		skip("not AMD", "0x80000001:EDX mirrors leaf 1 EDX");
	else
		ok_eq(ext1.edx & AMD_MIRRORED_EDX, r1.edx & AMD_MIRRORED_EDX, "0x80000001:EDX mirrors leaf 1 EDX");
	u32 phys = ext0.eax >= 0x80000008u ? cpuid(0x80000008u, 0).eax & 0xff : 36;
	ok(phys >= 32 && phys <= 52, "physical address width %u bits", phys);
}

void test_main(void)
{
	plan(17);
	struct cpuid_regs r0 = cpuid(0, 0), r1 = cpuid(1, 0);
	struct cpuid_regs ext0 = cpuid(0x80000000u, 0), ext1 = cpuid(0x80000001u, 0);

	ok(r0.eax >= 1, "leaf 0 reports basic leaves up to 0x%x", r0.eax);
	ok(ext0.eax >= 0x80000001u && (ext1.edx & CPUID_EXT1_EDX_LM),
	   "long mode is reported (0x80000001:EDX[29]), as the guest runs in it");
	ok(r1.ecx & CPUID1_ECX_HYPERVISOR, "hv: hypervisor-present bit CPUID.1:ECX[31] set");

	struct cpuid_regs hv = cpuid(HV_CPUID_LEAF, 0);
	char sig[13] = { 0 };
	memcpy(sig + 0, &hv.ebx, 4);
	memcpy(sig + 4, &hv.ecx, 4);
	memcpy(sig + 8, &hv.edx, 4);
	ok_eq(hv.eax, HV_CPUID_MAX_LEAF, "hv: leaf 0x40000000 EAX = highest hypervisor leaf");
	if (!ok(!memcmp(sig, HV_CPUID_SIGNATURE, 12), "hv: leaf 0x40000000 signature is \"%s\"",
		HV_CPUID_SIGNATURE))
		diag("signature read: \"%s\" (ebx 0x%x ecx 0x%x edx 0x%x)", sig, hv.ebx, hv.ecx, hv.edx);
	struct cpuid_regs above = cpuid(HV_CPUID_MAX_LEAF + 1, 0);
	ok(!(above.eax | above.ebx | above.ecx | above.edx),
	   "hv: hypervisor leaf 0x%x above the highest reads as zeros", HV_CPUID_MAX_LEAF + 1);

	ok(!(r1.ecx & CPUID1_ECX_VMX), "hv: VMX hidden (CPUID.1:ECX[5] clear)");
	ok(!(ext1.ecx & CPUID_EXT1_ECX_SVM), "hv: SVM hidden (CPUID.0x80000001:ECX[2] clear)");
	ok(r1.ecx & CPUID1_ECX_X2APIC, "hv: x2APIC shown (CPUID.1:ECX[21] set: the virtual local APIC has it)");

	timing_leaf();
	xsave_leaf(r1);
	pmu_leaf(r0);
	agreement(r0, r1, ext0, ext1);
}
