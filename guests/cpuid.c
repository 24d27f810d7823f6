/* CPUID as the hypervisor shows it: the hypervisor-present bit, its leaf
 * 0x40000000 (include/hypercall.h) and features hidden from the guest. */
#include "guest.h"
#include "x86.h"

#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_HYPERVISOR (1u << 31)

void test_main(void)
{
	plan(9);
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
}
