/*
 * Zapping (MMU.md §4): make entries non-present, hand the tables under them
 * to a deferred-free list, flush before mmu_lock is ever released (Z1), and
 * free the pages only after a grace period.
 */
#include "mm/tdp_internal.h"
#include "mm/platform.h"

void zap_ctx_init(struct zap_ctx *z, struct vm_mmu *vm, bool can_yield)
{
	z->vm = vm;
	z->can_yield = can_yield;
	z->shared = false;
	z->nretired = 0;
	z->zapped = 0;
	z->since_break = 0;
}

static void push_deferred(struct vm_mmu *vm, u64 *page)
{
	u64 head = __atomic_load_n(&vm->deferred_pa, __ATOMIC_RELAXED);
	do
		page[0] = head;
	while (!__atomic_compare_exchange_n(&vm->deferred_pa, &head, mmp_virt_to_phys(page), true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/*
 * A detached table nobody can walk any more (flushed): put it and every
 * table under it on the deferred list, children first, linking through the
 * page's first entry once its entries have been read. A plain loop over the
 * page (no walker): a table of leaves is one pass that counts them.
 * Returns the 4K frames its leaves mapped.
 */
static u64 retire_tree(struct vm_mmu *vm, u64 *table, int level)
{
	const struct spte_format *f = vm->fmt;
	u64 unmapped = 0;
	if (level == SPTE_LEVEL_4K) {
		for (u32 i = 0; i < SPTE_PER_TABLE; i++)
			unmapped += spte_present(f, table[i]);
	} else {
		for (u32 i = 0; i < SPTE_PER_TABLE; i++) {
			u64 e = table[i];
			if (!spte_present(f, e))
				continue;
			if (spte_leaf(f, e, level))
				unmapped += spte_level_pages(level);
			else
				unmapped += retire_tree(vm, mmp_phys_to_virt(spte_addr(f, e)), level - 1);
		}
	}
	push_deferred(vm, table);
	return unmapped;
}

static void retire_table(struct vm_mmu *vm, u64 *table, int level)
{
	STAT_ADD(vm, pages_mapped, -retire_tree(vm, table, level));
}

/* Z1: nothing zapped in a live root survives in a TLB past this point. */
static void zap_ctx_retire(struct zap_ctx *z)
{
	if (z->vm->unflushed)
		tdp_flush(z->vm);
	for (u32 i = 0; i < z->nretired; i++)
		retire_table(z->vm, mmp_phys_to_virt(z->detached[i].pa), z->detached[i].level);
	z->nretired = 0;
}

void zap_ctx_finish(struct zap_ctx *z)
{
	zap_ctx_retire(z);
}

void zap_current(struct zap_ctx *z, struct tdp_iter *it, bool live_root)
{
	struct vm_mmu *vm = z->vm;
	const struct spte_format *f = vm->fmt;
	u64 old = __atomic_exchange_n(it->sptep, 0, __ATOMIC_SEQ_CST);
	it->old = 0;
	if (!spte_present(f, old))
		return; /* an MMIO marker: nothing was translated through it */
	if (spte_leaf(f, old, it->level)) {
		STAT_ADD(vm, pages_mapped, -spte_level_pages(it->level));
	} else {
		if (z->nretired == RETIRE_BATCH)
			zap_ctx_retire(z);
		z->detached[z->nretired].pa = spte_addr(f, old);
		z->detached[z->nretired].gfn = it->gfn;
		z->detached[z->nretired++].level = it->level - 1;
	}
	STAT_INC(vm, sptes_zapped);
	z->zapped++;
	if (live_root)
		vm->unflushed++;
}

/*
 * A pending reschedule breaks at once; waiters only after a minimum of work,
 * so a busy VM cannot turn every batch into a lock round trip.
 */
bool zap_should_break(struct zap_ctx *z)
{
	const struct rwlock *l = &z->vm->mmu_lock;
	/* under the read lock, only a writer is kept out */
	bool waiters = z->shared ? __atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED) != 0
				 : rwlock_needbreak(l);
	return z->can_yield && (mmp_should_yield() || (z->since_break >= ZAP_MIN_WORK && waiters));
}

void zap_break(struct zap_ctx *z)
{
	struct vm_mmu *vm = z->vm;
	zap_ctx_retire(z);
	if (z->shared)
		read_unlock(&vm->mmu_lock);
	else
		write_unlock(&vm->mmu_lock);
	STAT_INC(vm, lock_breaks);
	mmp_yield();
	if (z->shared)
		read_lock(&vm->mmu_lock);
	else
		write_lock(&vm->mmu_lock);
	z->since_break = 0;
}

bool zap_maybe_break(struct zap_ctx *z, struct tdp_iter *it)
{
	if (it->gfn == it->yielded_gfn || !zap_should_break(z))
		return false; /* no progress since the last break: keep going */
	zap_break(z);
	tdp_iter_restart(it);
	return true;
}

/*
 * Zap the entries of `root` inside [start, end) at `max_level` or below;
 * entries above it (and partly covered tables) are entered instead.
 */
static void zap_pass(struct zap_ctx *z, struct tdp_root *root, u64 start, u64 end, int max_level)
{
	const struct spte_format *f = z->vm->fmt;
	struct tdp_iter it;
	u32 visited = 0;
	tdp_iter_start(&it, f, root->table, SPTE_ROOT_LEVEL, 0, start, end, SPTE_LEVEL_4K);
	while (it.valid) {
		z->since_break++;
		if (++visited % ZAP_BATCH == 0 && zap_maybe_break(z, &it))
			continue;
		if (it.old && it.level <= max_level &&
		    (tdp_iter_covered(&it) || !spte_present(f, it.old) || spte_leaf(f, it.old, it.level)))
			zap_current(z, &it, !root->invalid);
		tdp_iter_next(&it);
	}
}

/*
 * Two passes, like KVM: first 2M entries and below, a table of 512 leaves
 * at a time, so each step between lock-break checks is small; then the
 * upper tables, which by now hold nothing but empty entries.
 */
void zap_root_range(struct zap_ctx *z, struct tdp_root *root, u64 start, u64 end)
{
	zap_pass(z, root, start, end, SPTE_LEVEL_2M);
	zap_pass(z, root, start, end, SPTE_ROOT_LEVEL);
}

void bump_invalidate_seq(struct vm_mmu *vm)
{
	__atomic_fetch_add(&vm->invalidate_seq, 1, __ATOMIC_SEQ_CST);
}

/* Take a reference so `root` stays on the list while the lock is broken. */
static struct tdp_root *root_hold(struct tdp_root *root)
{
	if (root)
		root->refcount++;
	return root;
}

/* Drop it and return the next root, freeing `root` if it was the last user of a zapped root. */
static struct tdp_root *root_release_next(struct vm_mmu *vm, struct tdp_root *root)
{
	struct tdp_root *next = root_hold(root->next);
	if (--root->refcount == 0 && root->zapped)
		tdp_root_free(vm, root);
	return next;
}

void zap_range_locked(struct zap_ctx *z, u64 gfn, u64 npages)
{
	struct vm_mmu *vm = z->vm;
	nx_forget_range(vm, gfn, gfn + npages);
	for (struct tdp_root *r = root_hold(vm->roots_head); r; r = root_release_next(vm, r))
		if (!r->invalid && !r->zapped)
			zap_root_range(z, r, gfn, gfn + npages);
}

void tdp_zap_range(struct vm_mmu *vm, u64 gfn, u64 npages)
{
	struct zap_ctx z;
	write_lock(&vm->mmu_lock);
	bump_invalidate_seq(vm);
	zap_ctx_init(&z, vm, true);
	zap_range_locked(&z, gfn, npages);
	zap_ctx_finish(&z);
	bump_invalidate_seq(vm);
	write_unlock(&vm->mmu_lock);
}

/* Every root obsolete at once; vCPUs are kicked and reload. Under mmu_lock (write). */
static void invalidate_all_locked(struct vm_mmu *vm)
{
	__atomic_fetch_add(&vm->valid_gen, 1, __ATOMIC_SEQ_CST);
	bump_invalidate_seq(vm);
	for (struct tdp_root *r = vm->roots_head; r; r = r->next) {
		if (!r->invalid)
			STAT_INC(vm, roots_invalidated);
		__atomic_store_n(&r->invalid, true, __ATOMIC_RELEASE);
	}
	nx_forget_invalid_roots(vm);
	/* vCPUs leave guest mode and, seeing their root obsolete, reload before entry */
	tdp_flush(vm);
}

void tdp_invalidate_all(struct vm_mmu *vm)
{
	write_lock(&vm->mmu_lock);
	invalidate_all_locked(vm);
	write_unlock(&vm->mmu_lock);
}

void tdp_invalidate_begin(struct vm_mmu *vm, u64 start, u64 end)
{
	write_lock(&vm->mmu_lock);
	if (vm->inval_count++ == 0) {
		vm->inval_start = start;
		vm->inval_end = end;
	} else {
		vm->inval_start = MIN(vm->inval_start, start);
		vm->inval_end = MAX(vm->inval_end, end);
	}
	bump_invalidate_seq(vm);
	write_unlock(&vm->mmu_lock);
}

/*
 * All the regions of one update under one write lock and one zap (one
 * flush per lock break and at the end, not per region); then the window
 * opened by tdp_invalidate_begin() closes, under the same lock.
 */
void tdp_zap_removed(struct vm_mmu *vm, bool fast,
		     void (*for_each)(void *arg, struct zap_ctx *z, zap_region_fn zap), void *arg)
{
	struct zap_ctx z;
	write_lock(&vm->mmu_lock);
	if (fast) {
		invalidate_all_locked(vm);
	} else {
		zap_ctx_init(&z, vm, true);
		for_each(arg, &z, zap_range_locked);
		zap_ctx_finish(&z);
	}
	bump_invalidate_seq(vm);
	if (--vm->inval_count == 0)
		vm->inval_start = vm->inval_end = 0;
	write_unlock(&vm->mmu_lock);
}

/*
 * Z2: only roots that were obsolete when the pass started (older
 * generation) are work; Z3: roots already zapped are skipped. Oldest first,
 * resuming after each lock break where it stopped: bounded, however busy
 * the vCPUs are. No flush is needed: tdp_invalidate_all() flushed, and no
 * vCPU enters the guest on an obsolete root.
 *
 * Under the read lock, like faults: no fault walks an obsolete root (it
 * checks under the lock and retries), so faults and the reclaim do not
 * wait for each other; entries go with atomic exchanges, tables to the
 * deferred list. Roots stay linked meanwhile (only zapped, unreferenced
 * roots are freed, under the write lock at the end, and one reclaim runs
 * at a time), so the walk may break the lock and resume.
 */
u64 tdp_reclaim(struct vm_mmu *vm)
{
	struct zap_ctx z;
	spin_lock_yielding(&vm->reclaim_lock);
	read_lock(&vm->mmu_lock);
	u64 start_gen = __atomic_load_n(&vm->valid_gen, __ATOMIC_ACQUIRE);
	zap_ctx_init(&z, vm, true);
	z.shared = true;
	bool any = false;
	for (struct tdp_root *r = vm->roots_head; r; r = r->next) {
		if (r->gen >= start_gen || __atomic_load_n(&r->zapped, __ATOMIC_ACQUIRE) ||
		    !__atomic_load_n(&r->invalid, __ATOMIC_ACQUIRE))
			continue;
		zap_root_range(&z, r, 0, TDP_GFN_END);
		__atomic_store_n(&r->zapped, true, __ATOMIC_RELEASE);
		STAT_INC(vm, roots_zapped);
		any = true;
	}
	zap_ctx_finish(&z);
	read_unlock(&vm->mmu_lock);
	if (any) { /* free the zapped roots nobody holds */
		write_lock(&vm->mmu_lock);
		for (struct tdp_root *r = vm->roots_head, *next; r; r = next) {
			next = r->next;
			if (r->zapped && r->refcount == 0)
				tdp_root_free(vm, r);
		}
		write_unlock(&vm->mmu_lock);
	}
	spin_unlock(&vm->reclaim_lock);
	return tdp_free_deferred(vm);
}

u64 tdp_free_deferred(struct vm_mmu *vm)
{
	u64 pa = __atomic_exchange_n(&vm->deferred_pa, 0, __ATOMIC_ACQUIRE);
	if (!pa)
		return 0;
	epoch_synchronize(&vm->epoch); /* no lockless reader is still inside them */
	u64 n = 0;
	while (pa) {
		u64 *page = mmp_phys_to_virt(pa);
		pa = page[0];
		mmp_pages_free(page, 1);
		n++;
	}
	STAT_ADD(vm, tables_freed, n);
	return n;
}

/*
 * Every MMIO marker in live roots: the generation bits they hold wrapped.
 * Called with the generation's in-progress bit set, so no marker is
 * installed meanwhile and the walk may break the lock and resume.
 */
void tdp_zap_mmio_markers(struct vm_mmu *vm)
{
	const struct spte_format *f = vm->fmt;
	struct zap_ctx z;
	write_lock(&vm->mmu_lock);
	zap_ctx_init(&z, vm, true);
	for (struct tdp_root *r = root_hold(vm->roots_head); r; r = root_release_next(vm, r)) {
		if (r->invalid || r->zapped)
			continue;
		struct tdp_iter it;
		u32 visited = 0;
		tdp_iter_start(&it, f, r->table, SPTE_ROOT_LEVEL, 0, 0, TDP_GFN_END, SPTE_LEVEL_4K);
		while (it.valid) {
			z.since_break++;
			if (++visited % ZAP_BATCH == 0 && zap_maybe_break(&z, &it))
				continue;
			if (it.old && f->is_mmio(it.old))
				zap_current(&z, &it, true);
			tdp_iter_next(&it);
		}
	}
	zap_ctx_finish(&z);
	bump_invalidate_seq(vm);
	STAT_INC(vm, mmio_marker_wraps);
	write_unlock(&vm->mmu_lock);
}
