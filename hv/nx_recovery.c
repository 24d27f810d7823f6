/*
 * The MMU worker: NX recovery and reclaim (hv/nx_recovery.h). It is
 * pinned to the CPU that runs the VMs' vCPUs, so a pass never competes with them for another CPU
 * (mm/'s remote flush still kicks and waits for any vCPU in guest mode,
 * invariant Z1). The list is changed only under `lock` with interrupts off; the
 * worker marks the VM it works on in `busy`, and nx_recovery_stop waits for
 * that mark to go before the VM's MMU is freed.
 */
#include "hv/nx_recovery.h"
#include "hv/irq.h"
#include "hv/kthread.h"
#include "hv/percpu.h"
#include "hv/sched.h"
#include "hv/time.h"
#include "mm/spinlock.h"
#include "mm/tdp.h"

#define NX_RECOVERY_BUDGET 512 /* split tables zapped per pass at most */

static struct spinlock lock;
static struct nx_recovery *vms;     /* registered, under lock */
static struct nx_recovery *busy;    /* the one a pass runs on, or NULL */
static struct thread *worker;

/*
 * The first registered VM with work (an NX pass due or a reclaim asked
 * for), marked busy, *nx_due saying which; or NULL and *wait_until (0: no
 * deadline, wait for a wake-up).
 */
static struct nx_recovery *take_due(u64 now, u64 *wait_until, bool *nx_due)
{
	u64 f = irq_save();
	spin_lock(&lock);
	struct nx_recovery *due = NULL;
	*wait_until = 0;
	for (struct nx_recovery *r = vms; r; r = r->next) {
		*nx_due = r->period_ms && r->next_ns <= now;
		if (*nx_due || __atomic_load_n(&r->reclaim_pending, __ATOMIC_ACQUIRE)) {
			due = r;
			break;
		}
		if (r->period_ms && (!*wait_until || r->next_ns < *wait_until))
			*wait_until = r->next_ns;
	}
	if (due && *nx_due)
		due->next_ns = now + (u64)due->period_ms * NSEC_PER_MSEC;
	__atomic_store_n(&busy, due, __ATOMIC_RELEASE);
	spin_unlock(&lock);
	irq_restore(f);
	return due;
}

static void worker_main(void *unused)
{
	for (;;) {
		u64 wait_until;
		bool nx_due;
		/* Interrupts off from the look to the block: no preemption in between, so
		 * a wake-up finds the worker running (its block returns at once) or blocked. */
		u64 f = irq_save();
		struct nx_recovery *r = take_due(time_now_ns(), &wait_until, &nx_due);
		if (!r)
			sched_block(wait_until); /* 0: until a VM registers or asks for a reclaim */
		irq_restore(f);
		if (!r)
			continue;
		if (__atomic_exchange_n(&r->reclaim_pending, false, __ATOMIC_ACQ_REL))
			tdp_reclaim(r->mmu);
		if (nx_due)
			nx_recover(r->mmu, NX_RECOVERY_BUDGET);
		__atomic_store_n(&busy, NULL, __ATOMIC_RELEASE);
	}
}

bool nx_recovery_init(void)
{
	spin_init(&lock);
	worker = kthread_create("nx-recovery", worker_main, NULL, (int)this_cpu()->id);
	return worker != NULL;
}

bool nx_recovery_start(struct nx_recovery *r, struct vm_mmu *mmu, u32 period_ms)
{
	if (!worker)
		return false;
	*r = (struct nx_recovery){ .mmu = mmu, .period_ms = period_ms, .registered = true,
				   .next_ns = time_now_ns() + (u64)period_ms * NSEC_PER_MSEC };
	u64 f = irq_save();
	spin_lock(&lock);
	r->next = vms;
	vms = r;
	spin_unlock(&lock);
	irq_restore(f);
	sched_wake(worker); /* it may sleep past this VM's first deadline */
	return true;
}

void nx_recovery_reclaim_soon(struct nx_recovery *r)
{
	if (!r->registered)
		return;
	__atomic_store_n(&r->reclaim_pending, true, __ATOMIC_RELEASE);
	sched_wake(worker);
	sched_yield(); /* it shares this CPU with the vCPUs: let it reclaim before the guest goes on */
}

void nx_recovery_stop(struct nx_recovery *r)
{
	if (!r->registered)
		return;
	u64 f = irq_save();
	spin_lock(&lock);
	for (struct nx_recovery **p = &vms; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	spin_unlock(&lock);
	irq_restore(f);
	while (__atomic_load_n(&busy, __ATOMIC_ACQUIRE) == r)
		sched_yield(); /* the worker is in a pass on this VM: let it finish */
	r->registered = false;
}
