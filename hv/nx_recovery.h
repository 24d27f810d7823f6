/*
 * NX recovery (shared/design/MMU.md §6): every nx.period_ms a VM gets one
 * nx_recover() pass, so regions split by instruction fetches can be mapped
 * huge again by later data accesses. One worker kernel thread serves every
 * VM that is registered; it lives from boot on, so a VM's end frees nothing
 * late (the runner checks that every VM gives back all its pages).
 */
#ifndef HV_NX_RECOVERY_H
#define HV_NX_RECOVERY_H

#include "types.h"

struct vm_mmu;

/* One VM's registration (in the VM's memory state). */
struct nx_recovery {
	struct vm_mmu *mmu;
	u32 period_ms;
	u64 next_ns;               /* the next pass is due then */
	bool registered;
	struct nx_recovery *next;  /* on the worker's list */
};

/* Once, on the CPU that runs the vCPUs: starts the worker pinned there. */
bool nx_recovery_init(void);
/* Registers a VM; false when there is no worker. */
bool nx_recovery_start(struct nx_recovery *r, struct vm_mmu *mmu, u32 period_ms);
/* Unregisters it and returns once the worker no longer touches its MMU. Harmless when not registered. */
void nx_recovery_stop(struct nx_recovery *r);

#endif
