/*
 * Filling a fresh VMCS: controls, host state and a power-on guest state.
 * The VMCS must be current (vmx_load_vmcs) and the calling CPU the one that
 * will run the vCPU: the host state is this CPU's.
 */
#include "vmx/vmx.h"
#include "hv/cpu/cpu.h"

#define PAT_POWER_ON 0x0007040600070406ull
#define DR7_POWER_ON 0x400ull
#define VECTOR_DB 1
#define VECTOR_UD 6
#define VECTOR_AC 17

struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

static u16 read_selector_cs(void) { u16 s; asm volatile("mov %%cs, %0" : "=r"(s)); return s; }
static u16 read_selector_ss(void) { u16 s; asm volatile("mov %%ss, %0" : "=r"(s)); return s; }
static u16 read_selector_ds(void) { u16 s; asm volatile("mov %%ds, %0" : "=r"(s)); return s; }
static u16 read_selector_es(void) { u16 s; asm volatile("mov %%es, %0" : "=r"(s)); return s; }
static u16 read_selector_fs(void) { u16 s; asm volatile("mov %%fs, %0" : "=r"(s)); return s; }
static u16 read_selector_gs(void) { u16 s; asm volatile("mov %%gs, %0" : "=r"(s)); return s; }

u16 vmx_host_tr(void)
{
	u16 s;
	asm volatile("str %0" : "=r"(s));
	return s;
}

static struct dtr read_gdtr(void) { struct dtr d; asm volatile("sgdt %0" : "=m"(d)); return d; }
static struct dtr read_idtr(void) { struct dtr d; asm volatile("sidt %0" : "=m"(d)); return d; }

/* The base of a 16-byte system descriptor (the TSS) in the GDT. */
static u64 gdt_system_base(u64 gdt, u16 sel)
{
	const u8 *d = (const u8 *)(gdt + (sel & ~7u));
	u64 base = d[2] | (u64)d[3] << 8 | (u64)d[4] << 16 | (u64)d[7] << 24;
	return base | (u64)*(const u32 *)(d + 8) << 32;
}

/* Host selectors must have RPL 0 and TI 0 (SDM 27.2.3): the boot GDT's are. */
static void setup_host_state(void)
{
	struct dtr gdtr = read_gdtr(), idtr = read_idtr();
	u16 tr = vmx_host_tr();

	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_CS_SEL, read_selector_cs() & ~7u);
	vmcs_write(VMCS_HOST_SS_SEL, read_selector_ss() & ~7u);
	vmcs_write(VMCS_HOST_DS_SEL, read_selector_ds() & ~7u);
	vmcs_write(VMCS_HOST_ES_SEL, read_selector_es() & ~7u);
	vmcs_write(VMCS_HOST_FS_SEL, read_selector_fs() & ~7u);
	vmcs_write(VMCS_HOST_GS_SEL, read_selector_gs() & ~7u);
	vmcs_write(VMCS_HOST_TR_SEL, tr);
	vmcs_write(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_write(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_write(VMCS_HOST_TR_BASE, gdt_system_base(gdtr.base, tr));
	vmcs_write(VMCS_HOST_GDTR_BASE, gdtr.base);
	vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	if (vmx_cfg.ctl[VMX_CTL_EXIT] & EXIT_LOAD_PAT)
		vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	vmcs_write(VMCS_HOST_RIP, (u64)vmx_exit_landing);
	/* VMCS_HOST_RSP is written by vmx_enter on every entry. */
}

static void setup_controls(struct vmx_vcpu *vmx)
{
	vmcs_write(VMCS_PIN_CONTROLS, vmx_cfg.ctl[VMX_CTL_PIN]);
	vmcs_write(VMCS_PROC_CONTROLS, vmx_cfg.ctl[VMX_CTL_PROC]);
	vmx->proc_ctl = vmx_cfg.ctl[VMX_CTL_PROC];
	vmcs_write(VMCS_TSC_OFFSET, 0);
	if (vmx_cfg.ctl[VMX_CTL_PROC] & PROC_SECONDARY_CONTROLS) {
		u32 proc2 = vmx_cfg.ctl[VMX_CTL_PROC2];
		if (!vmx->vpid)
			proc2 &= ~PROC2_ENABLE_VPID;
		vmcs_write(VMCS_PROC_CONTROLS2, proc2);
	}
	vmcs_write(VMCS_EXIT_CONTROLS, vmx_cfg.ctl[VMX_CTL_EXIT]);
	vmcs_write(VMCS_ENTRY_CONTROLS, vmx_cfg.ctl[VMX_CTL_ENTRY]);
	/* #UD: the guest may use AMD's VMMCALL as its hypercall (the core checks the bytes).
	 * #DB and #AC: an exception whose delivery raises it again (CVE-2015-8104,
	 * CVE-2015-5307) would keep the CPU in the guest for good; each one exits
	 * and the core reflects it. */
	vmcs_write(VMCS_EXCEPTION_BITMAP, 1u << VECTOR_UD | 1u << VECTOR_DB | 1u << VECTOR_AC);
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_IO_BITMAP_A, vmx_io_bitmap_a_pa());
	vmcs_write(VMCS_IO_BITMAP_B, vmx_io_bitmap_b_pa());
	vmcs_write(VMCS_MSR_BITMAP, vmx_msr_bitmap_pa());
	if (vmx->vpid)
		vmcs_write(VMCS_VPID, vmx->vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ull);
	/* Bits the guest may not change behind our back exit on write; reads see the shadow. */
	vmcs_write(VMCS_CR0_MASK, vmx_cr0_host_owned(&vmx_caps));
	vmcs_write(VMCS_CR4_MASK, vmx_cr4_host_owned(&vmx_caps));
}

/* Power-on guest state: real mode at F000:FFF0 (the core sets the real start state
 * later; vcpu->regs belong to the core and may hold it already). */
static void setup_guest_power_on(struct vcpu *vcpu)
{
	struct vcpu_sregs s = { 0 };
	for (int i = 0; i < SEG_COUNT; i++)
		s.seg[i] = (struct vcpu_segment){ .limit = 0xffff, .type = 3, .s = 1, .present = 1 };
	s.seg[SEG_CS] = (struct vcpu_segment){ .selector = 0xf000, .base = 0xffff0000, .limit = 0xffff,
					       .type = 0xb, .s = 1, .present = 1 };
	s.ldtr = (struct vcpu_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	s.tr = (struct vcpu_segment){ .limit = 0xffff, .type = 3, .present = 1 };
	s.gdt.limit = s.idt.limit = 0xffff;
	s.cr0 = CR0_POWER_ON;
	vmx_set_sregs(vcpu, &s);

	vmcs_write(VMCS_GUEST_DR7, DR7_POWER_ON);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	if (vmx_cfg.ctl[VMX_CTL_ENTRY] & ENTRY_LOAD_PAT)
		vmcs_write(VMCS_GUEST_PAT, PAT_POWER_ON);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_GUEST_RIP, 0xfff0);
	vmcs_write(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1);
	vmcs_write(VMCS_GUEST_RSP, 0);
}

void vmx_setup_vmcs(struct vcpu *vcpu)
{
	setup_controls(to_vmx(vcpu));
	setup_host_state();
	setup_guest_power_on(vcpu);
}
