/*
 * Guest MSRs. SYSENTER_CS/ESP/EIP and PAT live in the VMCS and VM entry/exit
 * switch them. STAR, LSTAR, CSTAR, SFMASK and KERNEL_GS_BASE are not
 * switched by VMX; the hypervisor itself never uses them (no SYSCALL, no
 * SWAPGS), so the CPU simply keeps the guest's values and they are
 * rewritten only when another vCPU ran here with different ones. (XCR0 and
 * the extended state are the core's: hv/vm/guest_switch.c.)
 */
#include "vmx/vmx.h"
#include "hv/cpu/cpu.h"


static const u32 lazy_msrs[VMX_LAZY_MSRS] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102 };

static int lazy_index(u32 index)
{
	for (int i = 0; i < VMX_LAZY_MSRS; i++)
		if (lazy_msrs[i] == index)
			return i;
	return -1;
}

/* The VMCS field holding an MSR, 0 when the VMCS has none for it. */
static u32 vmcs_msr_field(u32 index)
{
	switch (index) {
	case MSR_SYSENTER_CS: return VMCS_GUEST_SYSENTER_CS;
	case MSR_SYSENTER_ESP: return VMCS_GUEST_SYSENTER_ESP;
	case MSR_SYSENTER_EIP: return VMCS_GUEST_SYSENTER_EIP;
	case MSR_PAT: return (vmx_cfg.ctl[VMX_CTL_ENTRY] & ENTRY_LOAD_PAT) ? VMCS_GUEST_PAT : 0;
	default: return 0;
	}
}

bool vmx_get_msr(struct vcpu *vcpu, u32 index, u64 *value)
{
	u32 field = vmcs_msr_field(index);
	int lazy = lazy_index(index);
	if (field) {
		u64 flags = vmx_vmcs_begin(vcpu);
		*value = vmcs_read(field);
		vmx_vmcs_end(flags);
		return true;
	}
	if (lazy < 0)
		return false;
	*value = to_vmx(vcpu)->lazy_msr[lazy];
	return true;
}

bool vmx_set_msr(struct vcpu *vcpu, u32 index, u64 value)
{
	u32 field = vmcs_msr_field(index);
	int lazy = lazy_index(index);
	if (field) {
		u64 flags = vmx_vmcs_begin(vcpu);
		vmcs_write(field, value);
		vmx_vmcs_end(flags);
		return true;
	}
	if (lazy < 0)
		return false;
	to_vmx(vcpu)->lazy_msr[lazy] = value;
	return true;
}

void vmx_load_lazy_state(struct vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *cpu = vmx_this_cpu();
	bool valid = cpu->lazy_valid;

	for (int i = 0; i < VMX_LAZY_MSRS; i++) {
		if (valid && cpu->lazy_msr[i] == vmx->lazy_msr[i])
			continue;
		wrmsr(lazy_msrs[i], vmx->lazy_msr[i]);
		cpu->lazy_msr[i] = vmx->lazy_msr[i];
	}
	cpu->lazy_valid = true;
}
