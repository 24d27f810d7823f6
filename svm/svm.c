/*
 * AMD SVM: detection, turning SVM on for this CPU, and the permission maps
 * shared by every guest. The backend's entry points are in svm_ops at the end.
 */
#include "svm/svm.h"
#include "hv/cpu/cpu.h"
#include "hv/console/console.h"
#include "hv/cpu/percpu.h"
#include "mm/page_alloc.h"
#include "hv/console/printf.h"
#include "kstring.h"

struct svm_caps svm_caps;

/* Every port and every MSR exits: the core's device model and MSR
 * allow-list decide (hv/devices/io.c, hv/vm/msr.c), so the maps are all ones. */
static u8 iopm[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 msrpm[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct svm_cpu svm_cpus[MAX_CPUS];

u64 svm_iopm_pa(void) { return (u64)iopm; }
u64 svm_msrpm_pa(void) { return (u64)msrpm; }

/* Called by svm_run on the vCPU's pinned thread: the CPU cannot change under it. */
u64 svm_host_vmcb_pa(void)
{
	const struct svm_cpu *cpu = this_cpu()->vendor;
	return cpu->host_vmcb_pa;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static bool svm_describe(char *buf, u32 len)
{
	if (cpuid(0x80000000, 0).eax < 0x8000000A || !(cpuid(0x80000001, 0).ecx & CPUID_EXT1_ECX_SVM))
		return false;
	struct cpuid_regs r = cpuid(0x8000000A, 0);
	ksnprintf(buf, len, "SVM yes, NPT %s, NRIP %s, flush-by-ASID %s, ASIDs %u", yes_no(r.edx & SVM_FEATURE_NPT),
		  yes_no(r.edx & SVM_FEATURE_NRIP), yes_no(r.edx & SVM_FEATURE_FLUSH_BY_ASID), r.ebx);
	return true;
}

static const char *svm_probe(void)
{
	if (cpuid(0x80000000, 0).eax < 0x8000000A)
		return "SVM: CPU has no extended leaf 0x8000000A";
	if (!(cpuid(0x80000001, 0).ecx & CPUID_EXT1_ECX_SVM))
		return "SVM: not supported by this CPU (CPUID 0x80000001 ECX bit 2)";
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return "SVM: disabled by firmware (VM_CR.SVMDIS is set; enable SVM/virtualization in the firmware setup)";

	struct cpuid_regs r = cpuid(0x8000000A, 0);
	if (!(r.edx & SVM_FEATURE_NPT))
		return "SVM: CPU lacks nested paging (CPUID 0x8000000A EDX bit 0), which this hypervisor requires";
	if (!(cpuid(0x80000001, 0).edx & CPUID_EXT1_EDX_NX))
		return "SVM: CPU lacks the NX bit, which the NPT format uses for non-executable mappings";
	if (r.ebx < 2)
		return "SVM: CPU offers no ASID for guests (CPUID 0x8000000A EBX < 2)";
	svm_caps.features = r.edx;
	svm_caps.nasids = r.ebx;
	/* Once, on the boot CPU, before any CPU enables SVM. */
	memset(iopm, 0xff, sizeof(iopm));
	memset(msrpm, 0xff, sizeof(msrpm));
	return NULL;
}

/* Per CPU and idempotent, like vmx_enable_cpu: a second call on a ready CPU does nothing. */
static const char *svm_enable_cpu(void)
{
	struct percpu *pc = this_cpu();
	struct svm_cpu *cpu = &svm_cpus[pc->id];

	if (cpu->host_save_pa)
		return NULL; /* already on */
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return "SVM: disabled by firmware on this CPU (VM_CR.SVMDIS)";
	u64 pa = palloc(SVM_CPU_PAGES, PAGE_SIZE);
	if (!pa)
		return "SVM: out of memory for this CPU's host-save area";
	memset((void *)pa, 0, SVM_CPU_PAGES * PAGE_SIZE);
	/* NXE: the NPT format follows the host's paging mode, and uses NX. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | EFER_NXE);
	wrmsr(MSR_VM_HSAVE_PA, pa);
	cpu->host_save_pa = pa;
	cpu->host_vmcb_pa = pa + PAGE_SIZE;
	pc->vendor = cpu;
	klog(LOG_INFO, "svm: enabled on CPU %u (%u ASIDs, NRIP %s, flush-by-ASID %s)\n", pc->id,
	     svm_caps.nasids, svm_caps.features & SVM_FEATURE_NRIP ? "yes" : "no",
	     svm_caps.features & SVM_FEATURE_FLUSH_BY_ASID ? "yes" : "no");
	return NULL;
}

const struct vendor_ops svm_ops = {
	.name = "svm",
	.describe = svm_describe,
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
	.set_tsc_offset = svm_set_tsc_offset,
	.irq_allowed = svm_irq_allowed,
	.nmi_allowed = svm_nmi_allowed,
	.request_irq_window = svm_request_irq_window,
	.request_nmi_window = svm_request_nmi_window,
	.set_root = svm_set_root,
	.flush_tlb = svm_flush_tlb,
	.dump = svm_dump,
	.spte = &npt_format,
};
