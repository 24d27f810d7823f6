/*
 * When VM entry goes wrong. The CPU reports either a VM-instruction error
 * (bad controls or host state: VMLAUNCH/VMRESUME fall through) or an exit
 * with bit 31 set (bad guest state, MSR loading, machine check). Both end
 * the VM with a message that names the problem; dump() shows the fields.
 */
#include "vmx/vmx.h"
#include "vmx/guest_check.h"
#include "vmx/names.h"
#include "hv/console/console.h"
#include "hv/console/printf.h"

static struct vmx_guest_state snapshot_guest(void)
{
	struct vmx_guest_state g = {
		.cr0 = vmcs_read(VMCS_GUEST_CR0), .cr4 = vmcs_read(VMCS_GUEST_CR4),
		.efer = vmcs_read(VMCS_GUEST_EFER), .rflags = vmcs_read(VMCS_GUEST_RFLAGS),
		.dr7 = vmcs_read(VMCS_GUEST_DR7),
		.cr0_fixed0 = vmx_caps.cr0_fixed0, .cr0_fixed1 = vmx_caps.cr0_fixed1,
		.cr4_fixed0 = vmx_caps.cr4_fixed0, .cr4_fixed1 = vmx_caps.cr4_fixed1,
		.entry_ctls = (u32)vmcs_read(VMCS_ENTRY_CONTROLS),
		.proc2_ctls = (u32)vmcs_read(VMCS_PROC_CONTROLS2),
		.gdtr_limit = (u32)vmcs_read(VMCS_GUEST_GDTR_LIMIT),
		.idtr_limit = (u32)vmcs_read(VMCS_GUEST_IDTR_LIMIT),
		.activity = (u32)vmcs_read(VMCS_GUEST_ACTIVITY),
		.interruptibility = (u32)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY),
		.link_pointer = vmcs_read(VMCS_LINK_POINTER),
	};
	for (int s = 0; s < VMX_NSEG; s++)
		g.seg[s] = (struct vmx_seg_state){
			.sel = (u16)vmcs_read(VMCS_SEG_SEL(s)), .base = vmcs_read(VMCS_SEG_BASE(s)),
			.limit = (u32)vmcs_read(VMCS_SEG_LIMIT(s)), .ar = (u32)vmcs_read(VMCS_SEG_AR(s)),
		};
	return g;
}

static void explain_guest_state(struct vmx_vcpu *vmx, u64 qual)
{
	struct vmx_guest_state g = snapshot_guest();
	struct vmx_check_failure f;
	char *m = vmx->fail_msg;
	size_t n = sizeof(vmx->fail_msg);

	if (qual == ENTRY_FAIL_QUAL_PDPTE)
		ksnprintf(m, n, "VM-entry failure, invalid guest state: a PAE PDPTE is invalid");
	else if (qual == ENTRY_FAIL_QUAL_LINK_POINTER)
		ksnprintf(m, n, "VM-entry failure, invalid guest state: VMCS link pointer 0x%lx",
			  (unsigned long)g.link_pointer);
	else if (vmx_check_guest_state(&g, &f))
		ksnprintf(m, n, "VM-entry failure, invalid guest state: %s: %s (found 0x%lx)", f.field, f.rule,
			  (unsigned long)f.value);
	else
		ksnprintf(m, n, "VM-entry failure, invalid guest state (qualification %lu), not one this "
			  "hypervisor checks: see the dump", (unsigned long)qual);
}

void vmx_entry_failure(struct vcpu *vcpu, u32 reason, struct vm_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 basic = reason & 0xffff;

	if (basic == EXIT_REASON_BAD_GUEST_STATE)
		explain_guest_state(vmx, vmx->exit_qual);
	else if (basic == EXIT_REASON_MSR_LOADING)
		ksnprintf(vmx->fail_msg, sizeof(vmx->fail_msg), "VM-entry failure loading MSR entry %lu",
			  (unsigned long)vmx->exit_qual);
	else
		ksnprintf(vmx->fail_msg, sizeof(vmx->fail_msg), "VM-entry failure: %s (exit reason %u)",
			  vmx_exit_reason_name(basic), basic);
	*exit = (struct vm_exit){ .kind = EXIT_KIND_ENTRY_FAILED };
	exit->raw.code = reason;
	exit->raw.info1 = vmx->exit_qual;
	exit->raw.what = vmx->fail_msg;
}

/* For "invalid control fields": the first control word that breaks the capability MSRs. */
static int explain_controls(char *m, size_t n)
{
	static const struct { u32 field; int word; const char *name; } words[] = {
		{ VMCS_PIN_CONTROLS, VMX_CTL_PIN, "pin-based" },
		{ VMCS_PROC_CONTROLS, VMX_CTL_PROC, "primary processor-based" },
		{ VMCS_PROC_CONTROLS2, VMX_CTL_PROC2, "secondary processor-based" },
		{ VMCS_EXIT_CONTROLS, VMX_CTL_EXIT, "VM-exit" },
		{ VMCS_ENTRY_CONTROLS, VMX_CTL_ENTRY, "VM-entry" },
	};
	const u64 msrs[VMX_CTL_WORDS] = { vmx_caps.pin, vmx_caps.proc, vmx_caps.proc2, vmx_caps.exit, vmx_caps.entry };

	for (u32 i = 0; i < ARRAY_SIZE(words); i++) {
		u32 v = (u32)vmcs_read(words[i].field), must1 = (u32)msrs[words[i].word];
		u32 may1 = (u32)(msrs[words[i].word] >> 32);
		if (must1 & ~v)
			return ksnprintf(m, n, ": %s controls 0x%x lack required bits 0x%x", words[i].name, v, must1 & ~v);
		if (v & ~may1)
			return ksnprintf(m, n, ": %s controls 0x%x set unsupported bits 0x%x", words[i].name, v, v & ~may1);
	}
	u64 eptp = vmcs_read(VMCS_EPT_POINTER);
	if ((eptp & 7) != 6 || ((eptp >> 3) & 7) != 3 || eptp == 0)
		return ksnprintf(m, n, ": EPT pointer 0x%lx is not a 4-level write-back root", (unsigned long)eptp);
	return 0;
}

static int explain_host_state(char *m, size_t n)
{
	if (!vmcs_read(VMCS_HOST_TR_SEL))
		return ksnprintf(m, n, ": host TR selector is 0 (the hypervisor's GDT needs a loaded TSS)");
	if (!vmcs_read(VMCS_HOST_CS_SEL))
		return ksnprintf(m, n, ": host CS selector is 0");
	u64 cr0 = vmcs_read(VMCS_HOST_CR0), cr4 = vmcs_read(VMCS_HOST_CR4);
	if (vmx_cr_fixed(cr0, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1) != cr0)
		return ksnprintf(m, n, ": host CR0 0x%lx breaks the VMX fixed bits", (unsigned long)cr0);
	if (vmx_cr_fixed(cr4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1) != cr4)
		return ksnprintf(m, n, ": host CR4 0x%lx breaks the VMX fixed bits", (unsigned long)cr4);
	return 0;
}

void vmx_insn_failure(struct vcpu *vcpu, int fail, struct vm_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const char *insn = vmx->launched ? "VMRESUME" : "VMLAUNCH";
	char *m = vmx->fail_msg;
	size_t n = sizeof(vmx->fail_msg);
	u32 error = fail == 2 ? (u32)vmcs_read_error() : 0;

	if (fail == 1) {
		ksnprintf(m, n, "%s failed: no current VMCS (VMfailInvalid)", insn);
	} else {
		int len = ksnprintf(m, n, "%s failed: %s (VM-instruction error %u)", insn, vmx_insn_error_name(error), error);
		if (len > 0 && (size_t)len < n && error == 7)
			explain_controls(m + len, n - (size_t)len);
		else if (len > 0 && (size_t)len < n && error == 8)
			explain_host_state(m + len, n - (size_t)len);
	}
	*exit = (struct vm_exit){ .kind = EXIT_KIND_ENTRY_FAILED };
	exit->raw.code = error;
	exit->raw.what = m;
}

static void dump_seg(const char *name, int s)
{
	kprintf("  %-4s sel 0x%04x base 0x%lx limit 0x%x ar 0x%x\n", name, (u32)vmcs_read(VMCS_SEG_SEL(s)),
		(unsigned long)vmcs_read(VMCS_SEG_BASE(s)), (u32)vmcs_read(VMCS_SEG_LIMIT(s)),
		(u32)vmcs_read(VMCS_SEG_AR(s)));
}

void vmx_dump(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	/* Prints, so not between vmx_vmcs_begin/end: another vCPU thread preempting
	 * this one on this CPU could only make this dump wrong, not the VMs. */
	vmx_load_vmcs(vcpu);
	kprintf("  vmx: exit reason 0x%x (%s) qualification 0x%lx gpa 0x%lx linear 0x%lx\n", vmx->exit_reason,
		vmx_exit_reason_name(vmx->exit_reason), (unsigned long)vmx->exit_qual,
		(unsigned long)vmcs_read(VMCS_GUEST_PHYS_ADDR), (unsigned long)vmcs_read(VMCS_GUEST_LINEAR_ADDR));
	kprintf("  vmx: idt-vectoring 0x%x entry-intr 0x%x interruptibility 0x%x activity %u eptp 0x%lx vpid %u\n",
		(u32)vmcs_read(VMCS_IDT_VECTORING_INFO), (u32)vmcs_read(VMCS_ENTRY_INTR_INFO),
		(u32)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY), (u32)vmcs_read(VMCS_GUEST_ACTIVITY),
		(unsigned long)vmcs_read(VMCS_EPT_POINTER), vmx->vpid);
	kprintf("  vmx: controls pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x\n",
		(u32)vmcs_read(VMCS_PIN_CONTROLS), (u32)vmcs_read(VMCS_PROC_CONTROLS),
		(u32)vmcs_read(VMCS_PROC_CONTROLS2), (u32)vmcs_read(VMCS_EXIT_CONTROLS),
		(u32)vmcs_read(VMCS_ENTRY_CONTROLS));
	kprintf("  rip 0x%lx rsp 0x%lx rax 0x%lx rflags 0x%lx\n", (unsigned long)vmcs_read(VMCS_GUEST_RIP),
		(unsigned long)vmcs_read(VMCS_GUEST_RSP), (unsigned long)vcpu->regs.gpr[GPR_RAX],
		(unsigned long)vmcs_read(VMCS_GUEST_RFLAGS));
	kprintf("  cr0 0x%lx (shadow 0x%lx) cr3 0x%lx cr4 0x%lx (shadow 0x%lx) efer 0x%lx\n",
		(unsigned long)vmcs_read(VMCS_GUEST_CR0), (unsigned long)vmcs_read(VMCS_CR0_SHADOW),
		(unsigned long)vmcs_read(VMCS_GUEST_CR3), (unsigned long)vmcs_read(VMCS_GUEST_CR4),
		(unsigned long)vmcs_read(VMCS_CR4_SHADOW), (unsigned long)vmcs_read(VMCS_GUEST_EFER));
	dump_seg("cs", VMX_CS);
	dump_seg("ss", VMX_SS);
	dump_seg("ds", VMX_DS);
	dump_seg("tr", VMX_TR);
	dump_seg("ldtr", VMX_LDTR);
	kprintf("  gdtr 0x%lx/0x%x idtr 0x%lx/0x%x\n", (unsigned long)vmcs_read(VMCS_GUEST_GDTR_BASE),
		(u32)vmcs_read(VMCS_GUEST_GDTR_LIMIT), (unsigned long)vmcs_read(VMCS_GUEST_IDTR_BASE),
		(u32)vmcs_read(VMCS_GUEST_IDTR_LIMIT));
}
