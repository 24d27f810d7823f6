/*
 * The MMU's background work for one VM (docs/MMU.md §4, §6), done
 * by a kernel thread of its own that may run on any CPU:
 *  - NX recovery: with NX huge pages on, one nx_recover() pass every
 *    period_ms, so regions split by instruction fetches can be mapped huge
 *    again by later data accesses;
 *  - reclaim: after a memslot change (a fast invalidate leaves obsolete
 *    roots whose tables stay allocated until then) the caller asks for a
 *    tdp_reclaim() with nx_recovery_reclaim_soon().
 * The thread is joinable: nx_recovery_stop() returns once it has exited and
 * its stack is freed, so a VM's end leaves nothing behind (the runner checks
 * that every VM gives back all its pages).
 */
#ifndef HV_NX_RECOVERY_H
#define HV_NX_RECOVERY_H

#include "types.h"

struct vm_mmu;
struct thread;

/* One VM's worker (in the VM's memory state). */
struct nx_recovery {
	struct vm_mmu *mmu;
	struct thread *thread;     /* NULL: not started, or stopped */
	u32 period_ms;             /* 0: NX huge pages off, no recovery passes */
	bool reclaim_pending;      /* set by nx_recovery_reclaim_soon, cleared by the thread */
	bool stopping;             /* set by nx_recovery_stop: the thread returns */
};

/* Starts the VM's worker thread (period_ms 0: reclaim only); false when out of memory. */
bool nx_recovery_start(struct nx_recovery *r, struct vm_mmu *mmu, u32 period_ms);
/* After a memslot commit: the thread runs tdp_reclaim() on this VM (yields to it). */
void nx_recovery_reclaim_soon(struct nx_recovery *r);
/* True while the thread runs NX recovery passes (started, with a period). */
bool nx_recovery_running(const struct nx_recovery *r);
/* Stops the thread and returns once it is gone (before the MMU is freed). Harmless when not started. */
void nx_recovery_stop(struct nx_recovery *r);

#endif
