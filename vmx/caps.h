/*
 * What this CPU's VT-x can do (read from the VMX capability MSRs) and the
 * VMCS controls the hypervisor chooses from it. The choice is pure
 * computation over MSR values, so it is unit-tested on the host.
 */
#ifndef VMX_CAPS_H
#define VMX_CAPS_H

#include "types.h"
#include "x86.h"

/* VMX capability MSRs (SDM vol. 3, appendix A). */
#define FEATURE_CONTROL_LOCKED (1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PINBASED_CTLS 0x481
#define MSR_VMX_PROCBASED_CTLS 0x482
#define MSR_VMX_EXIT_CTLS 0x483
#define MSR_VMX_ENTRY_CTLS 0x484
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_PROCBASED_CTLS2 0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_VMX_TRUE_ENTRY_CTLS 0x490

/* IA32_VMX_BASIC */
#define VMX_BASIC_REVISION(b) ((u32)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b) (((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE_CTLS (1ull << 55)

/* IA32_VMX_EPT_VPID_CAP */
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_1G (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_AD (1ull << 21)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE (1ull << 41)
#define VPID_CAP_INVVPID_ALL (1ull << 42)

/* CR bits the VMX code reasons about. */

/* Raw capability MSR values; the control MSRs are the TRUE ones when available. */
struct vmx_caps {
	u64 basic;
	u64 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid;
	u64 misc;         /* IA32_VMX_MISC: bits 4:0, the preemption timer's TSC shift */
};

enum vmx_ctl_word { VMX_CTL_PIN, VMX_CTL_PROC, VMX_CTL_PROC2, VMX_CTL_EXIT, VMX_CTL_ENTRY, VMX_CTL_WORDS };

#define VMX_MAX_MISSING 16

/* The controls chosen for every VMCS, plus the optional features in use. */
struct vmx_config {
	u32 ctl[VMX_CTL_WORDS];
	bool vpid;        /* VPID tags guest TLB entries (INVVPID available) */
	bool ept_ad;      /* EPT accessed/dirty flags */
	bool ept_2m, ept_1g;
	bool invept_single; /* else all-context */
	bool invvpid_single;
	/* Required features the CPU lacks, named for the error message. */
	const char *missing[VMX_MAX_MISSING];
	int nmissing;
};

/* Reads the capability MSRs of this CPU (TRUE controls when IA32_VMX_BASIC bit 55). */
void vmx_caps_read(struct vmx_caps *caps);

/*
 * Chooses the controls: every bit the CPU requires, every bit the hypervisor
 * requires, and the optional ones the CPU allows. Returns false (with
 * cfg->missing[] naming each gap) when the CPU lacks something required.
 */
bool vmx_choose_config(const struct vmx_caps *caps, struct vmx_config *cfg);

/* A CR0/CR4 value adjusted to the VMX fixed bits: fixed0 forced on, ~fixed1 forced off. */
static inline u64 vmx_cr_fixed(u64 value, u64 fixed0, u64 fixed1)
{
	return (value | fixed0) & fixed1;
}

/* CR0 bits the guest may not own: fixed ones (except PE/PG, free with unrestricted guest), PG, CD and NW. */
u64 vmx_cr0_host_owned(const struct vmx_caps *caps);
/* CR4 bits the guest may not own: the fixed ones (VMXE among them). */
u64 vmx_cr4_host_owned(const struct vmx_caps *caps);

#endif
