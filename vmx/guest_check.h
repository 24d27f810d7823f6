/*
 * Explains a VM-entry failure for invalid guest state. The CPU only says
 * "invalid guest state"; this re-runs the SDM's guest-state checks
 * (vol. 3, 27.3.1) that a hypervisor can get wrong, on a snapshot of the
 * VMCS, and names the first one that fails. Pure code: unit-tested on the host.
 */
#ifndef VMX_GUEST_CHECK_H
#define VMX_GUEST_CHECK_H

#include "types.h"

struct vmx_seg_state {
	u16 sel;
	u64 base;
	u32 limit;
	u32 ar; /* VMCS access-rights format, bit 16 = unusable */
};

struct vmx_guest_state {
	u64 cr0, cr4, efer, rflags, dr7;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 entry_ctls, proc2_ctls;
	struct vmx_seg_state seg[8]; /* enum vmx_seg order: ES CS SS DS FS GS LDTR TR */
	u32 gdtr_limit, idtr_limit;
	u32 activity, interruptibility;
	u64 link_pointer;
};

/* The first failed check: which field, what rule it breaks, the value found. */
struct vmx_check_failure {
	const char *field;
	const char *rule;
	u64 value;
};

/* Returns true and fills *f when a check fails; false when every check passes. */
bool vmx_check_guest_state(const struct vmx_guest_state *g, struct vmx_check_failure *f);

#endif
