/*
 * The fault path (MMU.md §3): parallel faults under the read side of
 * mmu_lock, installing entries with compare-and-swap. Invariant F1: nothing
 * is installed from a memslot snapshot or invalidation state that changed
 * since the fault began: everyone who zaps bumps invalidate_seq under the
 * write lock, and we check it after taking the read lock.
 */
#include "mm/tdp_internal.h"
#include "mm/platform.h"

/* The largest level the slot's size and alignment (guest and host) allow at gfn. */
static int slot_max_level(const struct vm_mmu *vm, const struct memslot *m, u64 gfn)
{
	if (m->flags & MEMSLOT_DIRTY_LOG)
		return SPTE_LEVEL_4K;
	for (int level = vm->fmt->max_leaf_level; level > SPTE_LEVEL_4K; level--) {
		u64 size = spte_level_pages(level);
		u64 base = ALIGN_DOWN(gfn, size);
		if (base >= m->base_gfn && base + size <= m->base_gfn + m->npages &&
		    ((m->host_pfn - m->base_gfn) & (size - 1)) == 0)
			return level;
	}
	return SPTE_LEVEL_4K;
}

/* What one fault wants: where, how big, with which rights. */
struct fault {
	struct vm_mmu *vm;
	struct vcpu_mmu *vcpu;  /* counts go to its statistics */
	struct tdp_root *root;
	const struct memslot *slot;
	u64 gfn;
	unsigned access;
	int huge_level;     /* what the slot allows */
	int level;          /* what we map */
	bool nx_forced;     /* an instruction fetch made us map small */
};

static unsigned fault_perm(const struct fault *fl, int level)
{
	unsigned perm = MM_READ | MM_EXEC;
	if (!(fl->slot->flags & MEMSLOT_READONLY) &&
	    (!(fl->slot->flags & MEMSLOT_DIRTY_LOG) || (fl->access & MM_WRITE)))
		perm |= MM_WRITE; /* dirty logging: writable only once a write faulted */
	if (fl->vm->cfg.nx.enabled && level > SPTE_LEVEL_4K)
		perm &= ~MM_EXEC; /* iTLB multihit: huge pages never executable */
	return perm;
}

static u64 fault_leaf(const struct fault *fl, int level)
{
	const struct memslot *m = fl->slot;
	u64 pfn = m->host_pfn + (ALIGN_DOWN(fl->gfn, spte_level_pages(level)) - m->base_gfn);
	return fl->vm->fmt->make_leaf(pfn, level, fault_perm(fl, level), SPTE_MT_WB);
}

static bool cas_spte(struct tdp_iter *it, u64 new)
{
	if (__atomic_compare_exchange_n(it->sptep, &it->old, new, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		it->old = new;
		return true;
	}
	return false; /* it->old now holds what another CPU wrote: look again */
}

static void mark_dirty(struct fault *fl, const struct memslot *m, u64 gfn)
{
	u64 bit = gfn - m->base_gfn;
	u64 was = __atomic_fetch_or(&m->dirty_bitmap[bit / 64], 1ull << (bit % 64), __ATOMIC_RELAXED);
	if (!(was & (1ull << (bit % 64))))
		VSTAT_INC(fl->vcpu, dirty_pages_logged);
}

/* A table of 512 leaves equivalent to the huge leaf `old`, small ones executable. */
static u64 *split_huge(const struct spte_format *f, u64 old, int level)
{
	u64 *table = mmp_pages_alloc(1);
	if (!table)
		return NULL;
	unsigned perm = f->leaf_perm(old) | (level - 1 == SPTE_LEVEL_4K ? MM_EXEC : 0);
	for (u64 i = 0; i < SPTE_PER_TABLE; i++)
		table[i] = f->make_leaf(spte_pfn(f, old) + i * spte_level_pages(level - 1), level - 1,
					perm, SPTE_MT_WB);
	return table;
}

/* Point the current (non-present) entry at a new table; false when out of memory. */
static int install_table(struct fault *fl, struct tdp_iter *it, u64 *table)
{
	struct vm_mmu *vm = fl->vm;
	if (!table)
		return TDP_E_NOMEM;
	u64 pa = mmp_virt_to_phys(table);
	if (!cas_spte(it, vm->fmt->make_table(pa))) {
		mmp_pages_free(table, 1); /* never visible to anyone */
		return TDP_RETRY;
	}
	VSTAT_INC(fl->vcpu, tables_allocated);
	if (fl->nx_forced && it->level == fl->huge_level)
		nx_record(vm, fl->root, it->gfn, it->level, pa);
	return TDP_MAPPED;
}

static int install_leaf(struct fault *fl, struct tdp_iter *it)
{
	struct vm_mmu *vm = fl->vm;
	const struct spte_format *f = vm->fmt;
	if (spte_present(f, it->old)) {
		unsigned have = f->leaf_perm(it->old);
		if ((have & fl->access) == fl->access) {
			VSTAT_INC(fl->vcpu, faults_spurious);
			return TDP_MAPPED;
		}
		/* add what this access needs, if the slot allows it (dirty logging) */
		unsigned want = have | (fl->access & fault_perm(fl, it->level));
		if (!cas_spte(it, f->make_leaf(spte_pfn(f, it->old), it->level, want, SPTE_MT_WB)))
			return TDP_RETRY;
	} else {
		if (!cas_spte(it, fault_leaf(fl, it->level)))
			return TDP_RETRY;
		VSTAT_ADD(fl->vcpu, pages_mapped, spte_level_pages(it->level));
		if (it->level == SPTE_LEVEL_4K)
			VSTAT_INC(fl->vcpu, mapped_4k);
		else if (it->level == SPTE_LEVEL_2M)
			VSTAT_INC(fl->vcpu, mapped_2m);
		else
			VSTAT_INC(fl->vcpu, mapped_1g);
	}
	if ((fl->access & MM_WRITE) && fl->slot->dirty_bitmap)
		mark_dirty(fl, fl->slot, fl->gfn);
	VSTAT_INC(fl->vcpu, faults_fixed);
	return TDP_MAPPED;
}

/*
 * One step at the current entry, above or at the level we map. Returns
 * TDP_RETRY to look at the same entry again (a CAS lost), 1 to go on down,
 * or the fault's result.
 */
#define STEP_DOWN 1
static int fault_step(struct fault *fl, struct tdp_iter *it)
{
	const struct spte_format *f = fl->vm->fmt;
	bool present = spte_present(f, it->old);
	if (present && !spte_leaf(f, it->old, it->level)) {
		if (it->level == fl->level)
			fl->level--; /* a split table is here: map small inside it */
		return STEP_DOWN;
	}
	if (it->level == fl->level)
		return install_leaf(fl, it);
	if (!present) {
		int r = install_table(fl, it, mmp_pages_alloc(1));
		return r == TDP_MAPPED ? STEP_DOWN : r;
	}
	/* a huge leaf above the level we want */
	if ((f->leaf_perm(it->old) & fl->access) == fl->access) {
		VSTAT_INC(fl->vcpu, faults_spurious);
		return TDP_MAPPED;
	}
	if (!(fl->access & MM_EXEC) || !fl->vm->cfg.nx.enabled)
		return install_leaf(fl, it);
	/* an instruction fetch in a huge mapping: split it (MMU.md §6) */
	u64 old = it->old;
	int r = install_table(fl, it, split_huge(f, old, it->level));
	if (r != TDP_MAPPED)
		return r;
	VSTAT_INC(fl->vcpu, nx_splits);
	return STEP_DOWN;
}

static int fault_map(struct fault *fl)
{
	struct tdp_iter it;
	tdp_iter_start(&it, fl->vm->fmt, fl->root->table, SPTE_ROOT_LEVEL, 0, fl->gfn, fl->gfn + 1,
		       SPTE_LEVEL_4K);
	while (it.valid) {
		int r = fault_step(fl, &it);
		if (r == STEP_DOWN)
			tdp_iter_next(&it);
		else if (r != TDP_RETRY)
			return r;
		/* TDP_RETRY: a CAS lost, it.old holds the new value: decide again */
	}
	return TDP_E_GPA;
}

/* The deepest entry on the way to gfn (no tables created). */
static u64 peek_spte(struct vm_mmu *vm, struct tdp_root *root, u64 gfn)
{
	struct tdp_iter it;
	tdp_iter_start(&it, vm->fmt, root->table, SPTE_ROOT_LEVEL, 0, gfn, gfn + 1, SPTE_LEVEL_4K);
	u64 last = it.old;
	for (; it.valid; tdp_iter_next(&it))
		last = it.old;
	return last;
}

static bool marker_current(struct vm_mmu *vm, u64 spte)
{
	u64 gen = memslots_generation(vm);
	u64 mask = (1ull << vm->fmt->mmio_gen_bits) - 1;
	return !(gen & MEMSLOT_GEN_IN_PROGRESS) && vm->fmt->mmio_gen(spte) == (gen & mask);
}

/* No slot at gfn: cache the answer as a marker, unless an update is in progress. */
static int fault_mmio(struct fault *fl)
{
	struct vm_mmu *vm = fl->vm;
	VSTAT_INC(fl->vcpu, mmio_faults);
	u64 gen = memslots_generation(vm); /* read after the lookup that decided */
	if (gen & MEMSLOT_GEN_IN_PROGRESS)
		return TDP_MMIO;
	const struct spte_format *f = vm->fmt;
	struct tdp_iter it;
	tdp_iter_start(&it, f, fl->root->table, SPTE_ROOT_LEVEL, 0, fl->gfn, fl->gfn + 1, SPTE_LEVEL_4K);
	while (it.valid) {
		bool present = spte_present(f, it.old);
		if (present && !spte_leaf(f, it.old, it.level)) {
			tdp_iter_next(&it);
			continue;
		}
		if (present)
			return TDP_MMIO; /* a stale leaf: the zap that removes it is on its way */
		if (it.level > SPTE_LEVEL_4K) {
			int r = install_table(fl, &it, mmp_pages_alloc(1));
			if (r == TDP_E_NOMEM)
				return TDP_MMIO; /* the marker is only a cache */
			if (r == TDP_MAPPED)
				tdp_iter_next(&it);
			continue;
		}
		if (cas_spte(&it, f->make_mmio(gen))) {
			VSTAT_INC(fl->vcpu, mmio_markers_installed);
			return TDP_MMIO;
		}
	}
	return TDP_MMIO;
}

static int fault_locked(struct fault *fl, const struct memslots *slots, u32 *slot_cache)
{
	struct vm_mmu *vm = fl->vm;
	u64 spte = peek_spte(vm, fl->root, fl->gfn);
	if (spte && vm->fmt->is_mmio(spte)) {
		if (marker_current(vm, spte)) {
			VSTAT_INC(fl->vcpu, mmio_marker_hits);
			VSTAT_INC(fl->vcpu, mmio_faults);
			return TDP_MMIO;
		}
		VSTAT_INC(fl->vcpu, mmio_marker_misses);
	}
	fl->slot = memslots_find(slots, fl->gfn, slot_cache);
	if (!fl->slot)
		return fault_mmio(fl);
	if ((fl->access & MM_WRITE) && (fl->slot->flags & MEMSLOT_READONLY)) {
		VSTAT_INC(fl->vcpu, mmio_faults);
		return TDP_MMIO; /* ROM: the device model sees the write */
	}
	fl->huge_level = slot_max_level(vm, fl->slot, fl->gfn);
	fl->level = fl->huge_level;
	if (vm->cfg.nx.enabled && (fl->access & MM_EXEC) && fl->level > SPTE_LEVEL_4K) {
		fl->level = SPTE_LEVEL_4K;
		fl->nx_forced = true;
	}
	return fault_map(fl);
}

/*
 * F2: a memslot update is removing mappings here. An entry at gfn may still
 * translate to the old backing while the new snapshot allows more: upgrading
 * it (write) or splitting it (fetch) would build a new translation from the
 * old frame. Retry until the update's last zap is done. Under mmu_lock.
 */
static bool in_invalidation(const struct vm_mmu *vm, u64 gfn)
{
	return vm->inval_count && gfn >= vm->inval_start && gfn < vm->inval_end;
}

int tdp_fault(struct vm_mmu *vm, struct vcpu_mmu *vcpu, u64 gpa, unsigned access)
{
	if (!vm || !vcpu || vcpu->vm != vm || !access || (access & ~(MM_READ | MM_WRITE | MM_EXEC)))
		return TDP_E_INVALID;
	u64 gfn = gpa >> PAGE_SHIFT;
	if (gfn >= TDP_GFN_END)
		return TDP_E_GPA;
	VSTAT_INC(vcpu, faults);
	struct epoch_reader *reader = &vm->readers[vcpu->index];
	epoch_enter(&vm->epoch, reader);
	/* seq first, then the snapshot: an updater publishes before it bumps seq */
	u64 seq = __atomic_load_n(&vm->invalidate_seq, __ATOMIC_ACQUIRE);
	const struct memslots *slots = __atomic_load_n(&vm->slots, __ATOMIC_SEQ_CST);
	struct fault fl = { .vm = vm, .vcpu = vcpu, .root = vcpu->root, .gfn = gfn, .access = access };
	int r = TDP_RETRY;
	read_lock_slot(&vm->mmu_lock, vcpu->index);
	if (fl.root && !tdp_root_obsolete(vm, fl.root) &&
	    __atomic_load_n(&vm->invalidate_seq, __ATOMIC_ACQUIRE) == seq &&
	    !in_invalidation(vm, gfn))
		r = fault_locked(&fl, slots, &vcpu->slot_cache);
	read_unlock_slot(&vm->mmu_lock, vcpu->index);
	epoch_leave(reader);
	if (r == TDP_RETRY)
		VSTAT_INC(vcpu, faults_retry);
	return r;
}
