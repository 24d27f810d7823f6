/*
 * Intel VT-x: detection, turning VMX on for this CPU (VMXON), and the
 * bitmaps shared by every guest. The backend's entry points are in vmx_ops.
 */
#include "vmx/vmx.h"
#include "vmx/ept.h"
#include "vmx/names.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/percpu.h"
#include "hv/panic.h"
#include "hv/console/printf.h"
#include "mm/page_alloc.h"
#include "kstring.h"

#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_XSAVE (1u << 26)

struct vmx_caps vmx_caps;
struct vmx_config vmx_cfg;

static struct vmx_cpu vmx_cpus[MAX_CPUS];

/* Every port and every MSR exits: the core's device model and MSR allow-list
 * decide (hv/devices/io.c, hv/vm/msr.c) and pass nothing through, so the bitmaps are all ones. */
static u8 io_bitmaps[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 msr_bitmap[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

u64 vmx_io_bitmap_a_pa(void) { return (u64)io_bitmaps; }
u64 vmx_io_bitmap_b_pa(void) { return (u64)io_bitmaps + PAGE_SIZE; }
u64 vmx_msr_bitmap_pa(void) { return (u64)msr_bitmap; }

struct vmx_cpu *vmx_this_cpu(void)
{
	return this_cpu()->vendor;
}

u64 vmcs_read(u32 field)
{
	u64 v;
	if (!vmread_checked(field, &v))
		panic("vmx: VMREAD of VMCS field 0x%x failed (%s)", field,
		      vmx_insn_error_name((u32)vmcs_read_error()));
	return v;
}

void vmcs_write(u32 field, u64 value)
{
	if (!vmwrite_checked(field, value))
		panic("vmx: VMWRITE of 0x%lx to VMCS field 0x%x failed (%s)", (unsigned long)value, field,
		      vmx_insn_error_name((u32)vmcs_read_error()));
}

void vmx_caps_read(struct vmx_caps *caps)
{
	caps->basic = rdmsr(MSR_VMX_BASIC);
	bool true_ctls = caps->basic & VMX_BASIC_TRUE_CTLS;
	caps->pin = rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS);
	caps->proc = rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS);
	caps->exit = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS);
	caps->entry = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS);
	/* The secondary and EPT MSRs exist only when the primary control allows secondary controls. */
	bool secondary = (caps->proc >> 32) & PROC_SECONDARY_CONTROLS;
	caps->proc2 = secondary ? rdmsr(MSR_VMX_PROCBASED_CTLS2) : 0;
	caps->ept_vpid = secondary ? rdmsr(MSR_VMX_EPT_VPID_CAP) : 0;
	caps->misc = rdmsr(MSR_VMX_MISC);
	caps->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	caps->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	caps->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	caps->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static bool vmx_describe(char *buf, u32 len)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX))
		return false;
	struct vmx_caps caps;
	vmx_caps_read(&caps);
	u32 proc2 = (u32)(caps.proc2 >> 32); /* allowed 1-settings (0 without secondary controls) */
	ksnprintf(buf, len, "VMX yes, EPT %s, unrestricted guest %s, VPID %s", yes_no(proc2 & PROC2_ENABLE_EPT),
		  yes_no(proc2 & PROC2_UNRESTRICTED_GUEST), yes_no(proc2 & PROC2_ENABLE_VPID));
	return true;
}

/* Firmware may leave IA32_FEATURE_CONTROL unlocked (OVMF: 0): enable VMX and lock it. */
static const char *feature_control_enable(void)
{
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		fc |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
		wrmsr(MSR_FEATURE_CONTROL, fc);
		fc = rdmsr(MSR_FEATURE_CONTROL);
		klog(LOG_INFO, "vmx: IA32_FEATURE_CONTROL was unlocked: VMX enabled and locked (0x%lx)\n",
		     (unsigned long)fc);
	}
	if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return "VT-x disabled by firmware (IA32_FEATURE_CONTROL is locked with VMX off; "
		       "enable virtualization in the firmware setup)";
	return NULL;
}

static const char *missing_message(const struct vmx_config *cfg)
{
	static char msg[256];
	ksnprintf(msg, sizeof(msg), "VT-x: this CPU lacks what the hypervisor requires:");
	for (int i = 0; i < cfg->nmissing; i++)
		kappendf(msg, sizeof(msg), "%s%s", i ? ", " : " ", cfg->missing[i]);
	return msg;
}

const char *vmx_probe(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX))
		return "VT-x: not supported by this CPU (CPUID.1:ECX.VMX is clear)";
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return "VT-x disabled by firmware (IA32_FEATURE_CONTROL is locked with VMX off; "
		       "enable virtualization in the firmware setup)";
	vmx_caps_read(&vmx_caps);
	if (!vmx_choose_config(&vmx_caps, &vmx_cfg))
		return missing_message(&vmx_cfg);
	if (VMX_BASIC_REGION_SIZE(vmx_caps.basic) > PAGE_SIZE)
		return "VT-x: the VMCS region is larger than a page";
	ept_format_setup(vmx_cfg.ept_ad, vmx_cfg.ept_2m, vmx_cfg.ept_1g);
	memset(io_bitmaps, 0xff, sizeof(io_bitmaps));
	memset(msr_bitmap, 0xff, sizeof(msr_bitmap));
	return NULL;
}

/* VMXON needs the CR0/CR4 fixed bits, VMXE among them. OSXSAVE lets the host load
 * the guests' XCR0 (XSETBV); set now, it is part of every VMCS's host CR4. */
static const char *vmxon_this_cpu(struct vmx_cpu *cpu)
{
	u64 cr4 = read_cr4() | CR4_VMXE;
	if (cpuid(1, 0).ecx & CPUID1_ECX_XSAVE)
		cr4 |= CR4_OSXSAVE;
	write_cr0(vmx_cr_fixed(read_cr0(), vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1));
	write_cr4(vmx_cr_fixed(cr4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1));

	u64 pa = palloc_page();
	if (!pa)
		return "VT-x: out of memory for the VMXON region";
	memset((void *)pa, 0, PAGE_SIZE);
	*(u32 *)pa = VMX_BASIC_REVISION(vmx_caps.basic);
	if (!vmxon(pa)) {
		palloc_free(pa, 1);
		return "VT-x: VMXON failed on this CPU";
	}
	cpu->vmxon_pa = pa;
	return NULL;
}

const char *vmx_enable_cpu(void)
{
	struct percpu *pc = this_cpu();
	struct vmx_cpu *cpu = &vmx_cpus[pc->id];

	if (cpu->vmxon_pa)
		return NULL; /* already on */
	if (!vmx_host_tr())
		return "VT-x: no TSS is loaded (TR is 0), and VM exits need a host TR";
	const char *why = feature_control_enable();
	if (!why)
		why = vmxon_this_cpu(cpu);
	if (why)
		return why;
	pc->vendor = cpu;
	klog(LOG_INFO, "vmx: enabled on CPU %u (VMCS revision 0x%x, EPT %s%s, A/D %s, VPID %s, INVEPT %s)\n",
	     pc->id, VMX_BASIC_REVISION(vmx_caps.basic), vmx_cfg.ept_1g ? "1G " : "",
	     vmx_cfg.ept_2m ? "2M" : "4K only", vmx_cfg.ept_ad ? "yes" : "no", vmx_cfg.vpid ? "yes" : "no",
	     vmx_cfg.invept_single ? "single-context" : "all-context");
	return NULL;
}

const struct vendor_ops vmx_ops = {
	.name = "vmx",
	.describe = vmx_describe,
	.probe = vmx_probe,
	.enable_cpu = vmx_enable_cpu,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.run = vmx_run,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.inject_event = vmx_inject_event,
	.set_tsc_offset = vmx_set_tsc_offset,
	.irq_allowed = vmx_irq_allowed,
	.nmi_allowed = vmx_nmi_allowed,
	.request_irq_window = vmx_request_irq_window,
	.request_nmi_window = vmx_request_nmi_window,
	.set_root = vmx_set_root,
	.flush_tlb = vmx_flush_tlb,
	.dump = vmx_dump,
	.spte = &ept_format,
};
