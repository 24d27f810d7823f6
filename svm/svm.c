/*
 * AMD SVM: detection, turning SVM on for this CPU, and the permission maps
 * shared by every guest. The backend's entry points are in svm_ops at the end.
 */
#include "svm/svm.h"
#include "hv/cpu.h"
#include "hv/console.h"
#include "kstring.h"

struct svm_caps svm_caps;

/* Every port and every MSR exits: the core's device model and MSR
 * allow-list decide (hv/io.c, hv/msr.c), so the maps are all ones. */
static u8 iopm[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 msrpm[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* Host state VMRUN does not save (FS, GS, TR, LDTR, syscall MSRs): VMSAVEd
 * here around each guest run; and the host-save area VM_HSAVE_PA names.
 * One of each, because one CPU runs guests: SMP needs them per CPU. */
static u8 host_vmcb[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 host_save_area[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

u64 svm_iopm_pa(void) { return (u64)iopm; }
u64 svm_msrpm_pa(void) { return (u64)msrpm; }
u64 svm_host_vmcb_pa(void) { return (u64)host_vmcb; }

static const char *svm_probe(void)
{
	if (cpuid(0x80000000, 0).eax < 0x8000000A)
		return "SVM: CPU has no extended leaf 0x8000000A";
	if (!(cpuid(0x80000001, 0).ecx & (1u << 2)))
		return "SVM: not supported by this CPU (CPUID 0x80000001 ECX bit 2)";
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return "SVM: disabled by firmware (VM_CR.SVMDIS is set; enable SVM/virtualization in the firmware setup)";

	struct cpuid_regs r = cpuid(0x8000000A, 0);
	if (!(r.edx & SVM_FEATURE_NPT))
		return "SVM: CPU lacks nested paging (CPUID 0x8000000A EDX bit 0), which this hypervisor requires";
	if (!(cpuid(0x80000001, 0).edx & (1u << 20)))
		return "SVM: CPU lacks the NX bit, which the NPT format uses for non-executable mappings";
	if (r.ebx < 2)
		return "SVM: CPU offers no ASID for guests (CPUID 0x8000000A EBX < 2)";
	svm_caps.features = r.edx;
	svm_caps.nasids = r.ebx;
	return NULL;
}

static const char *svm_enable_cpu(void)
{
	static bool maps_ready;

	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return "SVM: disabled by firmware on this CPU (VM_CR.SVMDIS)";
	/* NXE: the NPT format follows the host's paging mode, and uses NX. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | EFER_NXE);
	wrmsr(MSR_VM_HSAVE_PA, (u64)host_save_area);
	if (!maps_ready) {
		memset(iopm, 0xff, sizeof(iopm));
		memset(msrpm, 0xff, sizeof(msrpm));
		maps_ready = true;
	}
	klog(LOG_INFO, "svm: enabled (%u ASIDs, NRIP %s, flush-by-ASID %s)\n", svm_caps.nasids,
	     svm_caps.features & SVM_FEATURE_NRIP ? "yes" : "no",
	     svm_caps.features & SVM_FEATURE_FLUSH_BY_ASID ? "yes" : "no");
	return NULL;
}

const struct vendor_ops svm_ops = {
	.name = "svm",
	.probe = svm_probe,
	.enable_cpu = svm_enable_cpu,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.run = svm_run,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.inject_event = svm_inject_event,
	.set_root = svm_set_root,
	.flush_tlb = svm_flush_tlb,
	.dump = svm_dump,
	.spte = &npt_format,
};
