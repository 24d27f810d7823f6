/*
 * The MMU's background work (shared/design/MMU.md §4, §6), for every VM:
 *  - NX recovery: every nx.period_ms a VM with NX huge pages on gets one
 *    nx_recover() pass, so regions split by instruction fetches can be
 *    mapped huge again by later data accesses;
 *  - reclaim: after a memslot change (a fast invalidate leaves obsolete
 *    roots whose tables stay allocated until then) the caller asks for a
 *    tdp_reclaim() with nx_recovery_reclaim_soon().
 * One worker kernel thread serves every VM that is registered; it lives
 * from boot on, so a VM's end frees nothing late (the runner checks that
 * every VM gives back all its pages).
 */
#ifndef HV_NX_RECOVERY_H
#define HV_NX_RECOVERY_H

#include "types.h"

struct vm_mmu;

/* One VM's registration (in the VM's memory state). */
struct nx_recovery {
	struct vm_mmu *mmu;
	u32 period_ms;             /* 0: NX huge pages off, no recovery passes */
	u64 next_ns;               /* the next pass is due then */
	bool registered;
	bool reclaim_pending;      /* set by nx_recovery_reclaim_soon, cleared by the worker */
	struct nx_recovery *next;  /* on the worker's list */
};

/* Once, on the CPU that runs the vCPUs: starts the worker pinned there. */
bool nx_recovery_init(void);
/* Registers a VM (period_ms 0: reclaim only); false when there is no worker. */
bool nx_recovery_start(struct nx_recovery *r, struct vm_mmu *mmu, u32 period_ms);
/* After a memslot commit: the worker runs tdp_reclaim() on this VM (yields to it). */
void nx_recovery_reclaim_soon(struct nx_recovery *r);
/* Unregisters it and returns once the worker no longer touches its MMU. Harmless when not registered. */
void nx_recovery_stop(struct nx_recovery *r);

#endif
