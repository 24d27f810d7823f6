/* Virtualization feature discovery. SVM reports its features in CPUID
 * 0x8000000A; VT-x in the IA32_VMX_* capability MSRs (readable only when
 * CPUID.1:ECX.VMX is set). */
#include "hv/cpu/cpu_features.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "kstring.h"

#define CPUID1_ECX_VMX (1u << 5)
#define SVM_EDX_NPT (1u << 0)
#define SVM_EDX_NRIP (1u << 3)
#define SVM_EDX_FLUSH_BY_ASID (1u << 6)

#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PROCBASED_CTLS 0x482
#define MSR_VMX_PROCBASED_CTLS2 0x48B
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48E
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define PROC_ACTIVATE_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_UNRESTRICTED (1u << 7)

struct cpu_features cpu_features;

/* The high half of a VT-x control MSR says which controls may be set to 1. */
static u32 vmx_allowed1(u32 msr)
{
	return (u32)(rdmsr(msr) >> 32);
}

static void detect_vmx(struct cpu_features *f)
{
	u32 procbased_msr = (rdmsr(MSR_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) ? MSR_VMX_TRUE_PROCBASED_CTLS
									   : MSR_VMX_PROCBASED_CTLS;
	if (!(vmx_allowed1(procbased_msr) & PROC_ACTIVATE_SECONDARY))
		return;
	u32 proc2 = vmx_allowed1(MSR_VMX_PROCBASED_CTLS2);
	f->ept = proc2 & PROC2_EPT;
	f->vpid = proc2 & PROC2_VPID;
	f->unrestricted_guest = proc2 & PROC2_UNRESTRICTED;
}

static void detect_svm(struct cpu_features *f)
{
	if (cpuid(0x80000000, 0).eax < 0x8000000A)
		return;
	struct cpuid_regs r = cpuid(0x8000000A, 0);
	f->asid_count = r.ebx;
	f->npt = r.edx & SVM_EDX_NPT;
	f->nrip = r.edx & SVM_EDX_NRIP;
	f->flush_by_asid = r.edx & SVM_EDX_FLUSH_BY_ASID;
}

void cpu_features_detect(void)
{
	struct cpu_features *f = &cpu_features;
	struct cpuid_regs r = cpuid(0, 0);
	memcpy(f->vendor + 0, &r.ebx, 4);
	memcpy(f->vendor + 4, &r.edx, 4);
	memcpy(f->vendor + 8, &r.ecx, 4);
	f->vendor[12] = '\0';

	f->vmx = cpuid(1, 0).ecx & CPUID1_ECX_VMX;
	if (cpuid(0x80000000, 0).eax >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		f->svm = r.ecx & CPUID_EXT1_ECX_SVM;
		f->nx = r.edx & CPUID_EXT1_EDX_NX;
	}
	if (f->vmx)
		detect_vmx(f);
	if (f->svm)
		detect_svm(f);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void cpu_features_print(void)
{
	const struct cpu_features *f = &cpu_features;
	if (f->svm)
		kprintf("hv: cpu %s: SVM yes, NPT %s, NRIP %s, flush-by-ASID %s, ASIDs %u\n", f->vendor,
			yes_no(f->npt), yes_no(f->nrip), yes_no(f->flush_by_asid), f->asid_count);
	if (f->vmx)
		kprintf("hv: cpu %s: VMX yes, EPT %s, unrestricted guest %s, VPID %s\n", f->vendor,
			yes_no(f->ept), yes_no(f->unrestricted_guest), yes_no(f->vpid));
	if (!f->svm && !f->vmx)
		kprintf("hv: cpu %s: no hardware virtualization (neither SVM nor VMX)\n", f->vendor);
}
