/* The host CPU's identity and the features the hypervisor itself uses. What
 * the CPU offers for virtualization is each backend's to probe (vendor_ops). */
#include "hv/cpu/cpu_features.h"
#include "hv/cpu/cpu.h"
#include "kstring.h"

struct cpu_features cpu_features;

void cpu_features_detect(void)
{
	struct cpu_features *f = &cpu_features;
	struct cpuid_regs r = cpuid(0, 0);
	memcpy(f->vendor + 0, &r.ebx, 4);
	memcpy(f->vendor + 4, &r.edx, 4);
	memcpy(f->vendor + 8, &r.ecx, 4);
	f->vendor[12] = '\0';

	if (cpuid(0x80000000, 0).eax >= 0x80000001)
		f->nx = cpuid(0x80000001, 0).edx & CPUID_EXT1_EDX_NX;
}
