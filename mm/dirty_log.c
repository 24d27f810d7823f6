/*
 * Dirty logging (MMU.md §1): a dirty-logged slot is mapped 4K and
 * write-protected; the first write to a page faults, sets its bit and makes
 * the entry writable (mm/tdp_fault.c). Here: hand the bits out and
 * write-protect those pages again, flushed before we return.
 */
#include "mm/tdp_internal.h"

/* Clear the write bit of 4K leaves in [start, end) whose page is set in `bits`. */
static void write_protect(struct vm_mmu *vm, struct tdp_root *root, const struct memslot *m,
			  const u64 *bits)
{
	const struct spte_format *f = vm->fmt;
	struct tdp_iter it;
	u64 end = m->base_gfn + m->npages;
	for (tdp_iter_start(&it, f, root->table, SPTE_ROOT_LEVEL, 0, m->base_gfn, end, SPTE_LEVEL_4K);
	     it.valid; tdp_iter_next(&it)) {
		u64 bit = it.gfn - m->base_gfn;
		if (it.level != SPTE_LEVEL_4K || !spte_present(f, it.old) || !(it.old & f->write_mask) ||
		    !(bits[bit / 64] & (1ull << (bit % 64))))
			continue;
		__atomic_fetch_and(it.sptep, ~f->write_mask, __ATOMIC_SEQ_CST);
		vm->unflushed++;
	}
}

void memslots_mark_dirty(struct vm_mmu *vm, u64 gfn)
{
	slots_lock_acquire(vm); /* the slot and its bitmap stay while we hold it */
	const struct memslot *m = memslots_find(vm->slots, gfn, NULL);
	if (m && m->dirty_bitmap) {
		u64 bit = gfn - m->base_gfn;
		__atomic_fetch_or(&m->dirty_bitmap[bit / 64], 1ull << (bit % 64), __ATOMIC_RELAXED);
	}
	spin_unlock(&vm->slots_lock);
}

int memslots_dirty_get_and_clear(struct vm_mmu *vm, u64 base_gfn, u64 *out, u64 nwords)
{
	slots_lock_acquire(vm);
	const struct memslot *m = memslots_find(vm->slots, base_gfn, NULL);
	int err = MEMSLOT_OK;
	if (!m || m->base_gfn != base_gfn)
		err = MEMSLOT_E_NOT_FOUND;
	else if (!m->dirty_bitmap)
		err = MEMSLOT_E_BAD_FLAGS;
	else if (nwords < ALIGN_UP(m->npages, 64) / 64)
		err = MEMSLOT_E_RANGE;
	if (err) {
		spin_unlock(&vm->slots_lock);
		return err;
	}
	/* faults set bits under the read lock: none runs while we take them */
	write_lock(&vm->mmu_lock);
	u64 words = ALIGN_UP(m->npages, 64) / 64;
	for (u64 i = 0; i < words; i++)
		out[i] = __atomic_exchange_n(&m->dirty_bitmap[i], 0, __ATOMIC_RELAXED);
	for (struct tdp_root *r = vm->roots_head; r; r = r->next)
		if (!r->invalid && !r->zapped)
			write_protect(vm, r, m, out);
	if (vm->unflushed)
		tdp_flush(vm);
	bump_invalidate_seq(vm);
	write_unlock(&vm->mmu_lock);
	spin_unlock(&vm->slots_lock);
	return MEMSLOT_OK;
}
