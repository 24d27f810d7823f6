/*
 * A VM's MMU worker thread: NX recovery and reclaim (hv/vm/nx_recovery.h).
 * It runs wherever the scheduler finds room; mm/'s remote flush kicks and
 * waits for any of the VM's vCPUs in guest mode (invariant Z1), whatever
 * CPU they are on.
 *
 * Wake-ups: a request is a flag set before sched_wake(). The thread looks
 * at the flags and only then blocks, with no lock in between: a wake-up
 * that lands in that window finds it running or preempted, so its
 * sched_block() returns at once (hv/sched/sched.h) and it looks again.
 */
#include "hv/vm/nx_recovery.h"
#include "hv/sched/kthread.h"
#include "hv/sched/sched.h"
#include "hv/cpu/time.h"
#include "mm/tdp.h"

#define NX_RECOVERY_BUDGET 512 /* split tables zapped per pass at most */

static void worker_main(void *arg)
{
	struct nx_recovery *r = arg;
	u64 period_ns = (u64)r->period_ms * NSEC_PER_MSEC;
	u64 next_pass = time_now_ns() + period_ns;

	while (!__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
		bool reclaim = __atomic_exchange_n(&r->reclaim_pending, false, __ATOMIC_ACQ_REL);
		bool pass_due = period_ns && time_now_ns() >= next_pass;

		if (reclaim)
			tdp_reclaim(r->mmu);
		if (pass_due) {
			nx_recover(r->mmu, NX_RECOVERY_BUDGET);
			next_pass = time_now_ns() + period_ns;
		}
		/* Nothing done: wait for the next pass (0: only for a request).
		 * It may return early; the loop looks again. */
		if (!reclaim && !pass_due)
			sched_block(period_ns ? next_pass : 0);
	}
}

bool nx_recovery_start(struct nx_recovery *r, struct vm_mmu *mmu, u32 period_ms)
{
	*r = (struct nx_recovery){ .mmu = mmu, .period_ms = period_ms };
	r->thread = kthread_create_joinable("nx-recovery", worker_main, r, KTHREAD_ANY_CPU);
	return r->thread != NULL;
}

void nx_recovery_reclaim_soon(struct nx_recovery *r)
{
	if (!r->thread)
		return;
	__atomic_store_n(&r->reclaim_pending, true, __ATOMIC_RELEASE);
	sched_wake(r->thread);
	sched_yield(); /* if it was placed on this CPU: let it reclaim before the guest goes on */
}

bool nx_recovery_running(const struct nx_recovery *r)
{
	return r->thread && r->period_ms;
}

void nx_recovery_stop(struct nx_recovery *r)
{
	if (!r->thread)
		return;
	__atomic_store_n(&r->stopping, true, __ATOMIC_RELEASE);
	sched_wake(r->thread);
	kthread_join(r->thread); /* a pass under way ends first; then its stack is freed */
	r->thread = NULL;
}
