/*
 * Choosing the VMCS controls from the capability MSRs. Each control MSR holds
 * the allowed 0-settings in its low half (a 1 there means "must be 1") and the
 * allowed 1-settings in its high half (a 0 there means "must be 0").
 */
#include "vmx/caps.h"
#include "vmx/vmcs.h"

enum need { OPTIONAL, REQUIRED };

struct ctl_want {
	enum vmx_ctl_word word;
	u32 bit;
	enum need need;
	const char *name;
};

/*
 * What the hypervisor asks for. IA-32e mode guest is not listed: it is set per
 * guest at run time, but its availability is checked below.
 */
static const struct ctl_want wants[] = {
	{ VMX_CTL_PIN, PIN_EXTINT_EXITING, REQUIRED, "external-interrupt exiting" },
	{ VMX_CTL_PIN, PIN_NMI_EXITING, REQUIRED, "NMI exiting" },
	/* The CPU tracks the guest's NMI blocking until its IRET (hv/vm/vcpu_intr.c). */
	{ VMX_CTL_PIN, PIN_VIRTUAL_NMIS, REQUIRED, "virtual NMIs" },
	/* A backstop that ends every guest slice (vmx_vcpu.c: vmx_arm_slice_timer). */
	{ VMX_CTL_PIN, PIN_PREEMPTION_TIMER, OPTIONAL, "VMX-preemption timer" },
	{ VMX_CTL_PROC, PROC_HLT_EXITING, REQUIRED, "HLT exiting" },
	/* The guest's TSC is the host's plus its vCPU's offset (hv/vm/guest_tsc.h). */
	{ VMX_CTL_PROC, PROC_TSC_OFFSETTING, REQUIRED, "use TSC offsetting" },
	/* CR8 is the virtual APIC's TPR: without these the guest would write the host's. */
	{ VMX_CTL_PROC, PROC_CR8_LOAD_EXITING, REQUIRED, "CR8-load exiting" },
	{ VMX_CTL_PROC, PROC_CR8_STORE_EXITING, REQUIRED, "CR8-store exiting" },
	{ VMX_CTL_PROC, PROC_USE_IO_BITMAPS, REQUIRED, "use I/O bitmaps" },
	{ VMX_CTL_PROC, PROC_USE_MSR_BITMAPS, REQUIRED, "use MSR bitmaps" },
	/* The host's performance counters and every cache line of the CPU are not the guest's. */
	{ VMX_CTL_PROC, PROC_RDPMC_EXITING, REQUIRED, "RDPMC exiting" },
	{ VMX_CTL_PROC2, PROC2_WBINVD_EXITING, REQUIRED, "WBINVD exiting" },
	{ VMX_CTL_PROC, PROC_MWAIT_EXITING, OPTIONAL, "MWAIT exiting" },
	{ VMX_CTL_PROC, PROC_MONITOR_EXITING, OPTIONAL, "MONITOR exiting" },
	{ VMX_CTL_PROC, PROC_SECONDARY_CONTROLS, REQUIRED, "activate secondary controls" },
	{ VMX_CTL_PROC2, PROC2_ENABLE_EPT, REQUIRED, "enable EPT" },
	{ VMX_CTL_PROC2, PROC2_UNRESTRICTED_GUEST, REQUIRED, "unrestricted guest" },
	{ VMX_CTL_PROC2, PROC2_ENABLE_VPID, OPTIONAL, "enable VPID" },
	/* Without these the instructions raise #UD in the guest even when CPUID shows them. */
	{ VMX_CTL_PROC2, PROC2_ENABLE_RDTSCP, OPTIONAL, "enable RDTSCP" },
	{ VMX_CTL_PROC2, PROC2_ENABLE_INVPCID, OPTIONAL, "enable INVPCID" },
	{ VMX_CTL_PROC2, PROC2_ENABLE_XSAVES, OPTIONAL, "enable XSAVES/XRSTORS" },
	{ VMX_CTL_EXIT, EXIT_HOST_ADDR64, REQUIRED, "host address-space size" },
	{ VMX_CTL_EXIT, EXIT_SAVE_EFER, REQUIRED, "save IA32_EFER" },
	{ VMX_CTL_EXIT, EXIT_LOAD_EFER, REQUIRED, "load IA32_EFER (exit)" },
	{ VMX_CTL_EXIT, EXIT_SAVE_PAT, OPTIONAL, "save IA32_PAT" },
	{ VMX_CTL_EXIT, EXIT_LOAD_PAT, OPTIONAL, "load IA32_PAT (exit)" },
	{ VMX_CTL_ENTRY, ENTRY_LOAD_EFER, REQUIRED, "load IA32_EFER (entry)" },
	{ VMX_CTL_ENTRY, ENTRY_LOAD_PAT, OPTIONAL, "load IA32_PAT (entry)" },
};

/* Turned on per entry when the core asks for a window (vmx_vcpu.c): only checked here. */
static const struct ctl_want on_demand[] = {
	{ VMX_CTL_PROC, PROC_INTR_WINDOW_EXITING, REQUIRED, "interrupt-window exiting" },
	{ VMX_CTL_PROC, PROC_NMI_WINDOW_EXITING, REQUIRED, "NMI-window exiting" },
};

static u64 ctl_msr(const struct vmx_caps *caps, enum vmx_ctl_word w)
{
	switch (w) {
	case VMX_CTL_PIN: return caps->pin;
	case VMX_CTL_PROC: return caps->proc;
	case VMX_CTL_PROC2: return caps->proc2;
	case VMX_CTL_EXIT: return caps->exit;
	default: return caps->entry;
	}
}

static bool allowed1(const struct vmx_caps *caps, enum vmx_ctl_word w, u32 bit)
{
	return (ctl_msr(caps, w) >> 32) & bit;
}

static void missing(struct vmx_config *cfg, const char *name)
{
	if (cfg->nmissing < VMX_MAX_MISSING)
		cfg->missing[cfg->nmissing++] = name;
}

static void choose_ept_vpid(const struct vmx_caps *caps, struct vmx_config *cfg)
{
	u64 ev = caps->ept_vpid;

	if (!(ev & EPT_CAP_WALK4))
		missing(cfg, "EPT 4-level page walk");
	if (!(ev & EPT_CAP_WB))
		missing(cfg, "EPT write-back paging structures");
	if (!(ev & EPT_CAP_INVEPT) || !(ev & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		missing(cfg, "INVEPT");
	cfg->invept_single = ev & EPT_CAP_INVEPT_SINGLE;
	cfg->ept_ad = ev & EPT_CAP_AD;
	cfg->ept_2m = ev & EPT_CAP_2M;
	cfg->ept_1g = ev & EPT_CAP_1G;

	/* VPID is only worth using when its TLB entries can be flushed. */
	bool can_invvpid = (ev & VPID_CAP_INVVPID) &&
			   (ev & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	cfg->vpid = (cfg->ctl[VMX_CTL_PROC2] & PROC2_ENABLE_VPID) && can_invvpid;
	if (!cfg->vpid)
		cfg->ctl[VMX_CTL_PROC2] &= ~PROC2_ENABLE_VPID;
	cfg->invvpid_single = ev & VPID_CAP_INVVPID_SINGLE;
}

bool vmx_choose_config(const struct vmx_caps *caps, struct vmx_config *cfg)
{
	*cfg = (struct vmx_config){ 0 };
	for (int w = 0; w < VMX_CTL_WORDS; w++)
		cfg->ctl[w] = (u32)ctl_msr(caps, w); /* the must-be-one bits */

	bool secondary = allowed1(caps, VMX_CTL_PROC, PROC_SECONDARY_CONTROLS);
	for (size_t i = 0; i < ARRAY_SIZE(wants); i++) {
		const struct ctl_want *c = &wants[i];
		bool ok = allowed1(caps, c->word, c->bit);
		if (c->word == VMX_CTL_PROC2 && !secondary)
			ok = false; /* the secondary MSR is meaningless without the primary bit */
		if (ok)
			cfg->ctl[c->word] |= c->bit;
		else if (c->need == REQUIRED)
			missing(cfg, c->name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(on_demand); i++)
		if (!allowed1(caps, on_demand[i].word, on_demand[i].bit))
			missing(cfg, on_demand[i].name);
	if (!allowed1(caps, VMX_CTL_ENTRY, ENTRY_IA32E_GUEST))
		missing(cfg, "IA-32e mode guest");
	if (!secondary)
		cfg->ctl[VMX_CTL_PROC2] = 0;

	/* Every bit chosen must be allowed: a must-be-one bit always is. */
	for (int w = 0; w < VMX_CTL_WORDS; w++)
		cfg->ctl[w] &= (u32)(ctl_msr(caps, w) >> 32) | (u32)ctl_msr(caps, w);

	if (VMX_BASIC_MEMTYPE(caps->basic) != 6)
		missing(cfg, "write-back VMCS memory type");
	if (cfg->ctl[VMX_CTL_PROC2] & PROC2_ENABLE_EPT)
		choose_ept_vpid(caps, cfg);
	return cfg->nmissing == 0;
}

u64 vmx_cr0_host_owned(const struct vmx_caps *caps)
{
	u64 fixed = caps->cr0_fixed0 | ~caps->cr0_fixed1;
	/* PG is ours so that EFER.LMA and the IA-32e entry control follow it.
	 * CD and NW are the host's (VM entry never loads them): the guest sees its own in the shadow. */
	return (fixed & ~(CR0_PE | CR0_PG) & 0xffffffffull) | CR0_PG | CR0_CD | CR0_NW;
}

u64 vmx_cr4_host_owned(const struct vmx_caps *caps)
{
	return (caps->cr4_fixed0 | ~caps->cr4_fixed1) & 0xffffffffull;
}
