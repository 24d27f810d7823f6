/*
 * NX huge pages (MMU.md §6): the list of tables created because an
 * instruction fetch forbade a huge mapping, oldest first, and the recovery
 * pass that zaps some of them so data accesses can map huge again.
 */
#include "mm/tdp_internal.h"
#include "mm/platform.h"

#define NX_BATCH 8 /* tables zapped between lock-break checks */

static struct nx_split *nx_at(struct vm_mmu *vm, u32 i)
{
	return &vm->nx[(vm->nx_head + i) % vm->nx_capacity];
}

static u64 nx_pages(u32 capacity)
{
	return ALIGN_UP((u64)capacity * sizeof(struct nx_split), PAGE_SIZE) / PAGE_SIZE;
}

/* Double the ring; false when memory is short (the split is then not recorded). */
static bool nx_grow(struct vm_mmu *vm)
{
	u32 capacity = vm->nx_capacity ? 2 * vm->nx_capacity : PAGE_SIZE / sizeof(struct nx_split);
	struct nx_split *ring = mmp_pages_alloc(nx_pages(capacity));
	if (!ring)
		return false;
	for (u32 i = 0; i < vm->nx_count; i++)
		ring[i] = *nx_at(vm, i);
	if (vm->nx)
		mmp_pages_free(vm->nx, nx_pages(vm->nx_capacity));
	vm->nx = ring;
	vm->nx_capacity = capacity;
	vm->nx_head = 0;
	return true;
}

void nx_record(struct vm_mmu *vm, struct tdp_root *root, u64 gfn, int level, u64 table_pa)
{
	spin_lock(&vm->nx_lock);
	if (vm->nx_count < vm->nx_capacity || nx_grow(vm)) {
		struct nx_split *e = nx_at(vm, vm->nx_count++);
		*e = (struct nx_split){ .root = root, .gfn = gfn, .level = level, .table_pa = table_pa };
	}
	spin_unlock(&vm->nx_lock);
}

/* Keep only the entries `keep` accepts, in order. */
static void nx_filter(struct vm_mmu *vm, bool (*keep)(const struct nx_split *, const void *),
		      const void *arg)
{
	spin_lock(&vm->nx_lock);
	u32 kept = 0;
	for (u32 i = 0; i < vm->nx_count; i++)
		if (keep(nx_at(vm, i), arg))
			*nx_at(vm, kept++) = *nx_at(vm, i);
	vm->nx_count = kept;
	spin_unlock(&vm->nx_lock);
}

static bool outside_range(const struct nx_split *e, const void *arg)
{
	const u64 *range = arg;
	return e->gfn + spte_level_pages(e->level) <= range[0] || e->gfn >= range[1];
}

static bool other_root(const struct nx_split *e, const void *arg)
{
	return e->root != arg;
}

void nx_forget_range(struct vm_mmu *vm, u64 start, u64 end)
{
	u64 range[2] = { start, end };
	nx_filter(vm, outside_range, range);
}

void nx_forget_root(struct vm_mmu *vm, struct tdp_root *root)
{
	nx_filter(vm, other_root, root);
}

static bool live_root(const struct nx_split *e, const void *arg)
{
	return !e->root->invalid;
}

/*
 * A fast invalidate made roots obsolete: their split tables go with them
 * (tdp_reclaim), whenever a vCPU lets go of the root. They are not NX
 * splits any more: not counted, not worth a recovery pass's budget.
 */
void nx_forget_invalid_roots(struct vm_mmu *vm)
{
	nx_filter(vm, live_root, NULL);
}

void nx_free(struct vm_mmu *vm)
{
	if (vm->nx)
		mmp_pages_free(vm->nx, nx_pages(vm->nx_capacity));
	vm->nx = NULL;
	vm->nx_count = vm->nx_capacity = 0;
}

static bool nx_pop(struct vm_mmu *vm, struct nx_split *out)
{
	spin_lock(&vm->nx_lock);
	bool any = vm->nx_count > 0;
	if (any) {
		*out = *nx_at(vm, 0);
		vm->nx_head = (vm->nx_head + 1) % vm->nx_capacity;
		vm->nx_count--;
	}
	spin_unlock(&vm->nx_lock);
	return any;
}

/* Zap the entry that points at the split table, if it still does. */
static bool nx_zap_one(struct zap_ctx *z, const struct nx_split *e)
{
	const struct spte_format *f = z->vm->fmt;
	struct tdp_iter it;
	if (e->root->zapped)
		return false;
	tdp_iter_start(&it, f, e->root->table, SPTE_ROOT_LEVEL, 0, e->gfn, e->gfn + 1, e->level);
	while (it.valid && it.level > e->level)
		tdp_iter_next(&it);
	if (!it.valid || it.level != e->level || !spte_present(f, it.old) ||
	    spte_leaf(f, it.old, it.level) || spte_addr(f, it.old) != e->table_pa)
		return false;
	zap_current(z, &it, !e->root->invalid);
	return true;
}

u32 nx_recover(struct vm_mmu *vm, u32 budget)
{
	spin_lock(&vm->nx_lock);
	u32 count = vm->nx_count;
	spin_unlock(&vm->nx_lock);
	u32 ratio = vm->cfg.nx.ratio ? vm->cfg.nx.ratio : 1;
	u32 todo = MIN((count + ratio - 1) / ratio, budget);
	u32 done = 0;
	struct zap_ctx z;
	write_lock(&vm->mmu_lock);
	bump_invalidate_seq(vm);
	zap_ctx_init(&z, vm, true);
	struct nx_split e;
	while (done < todo && nx_pop(vm, &e)) {
		if (nx_zap_one(&z, &e))
			STAT_INC(vm, nx_recovered);
		z.since_break += SPTE_PER_TABLE; /* a table's worth of work */
		if (++done % NX_BATCH == 0 && zap_should_break(&z))
			zap_break(&z); /* vCPUs waiting to fault get in between batches */
	}
	zap_ctx_finish(&z);
	bump_invalidate_seq(vm);
	write_unlock(&vm->mmu_lock);
	tdp_free_deferred(vm);
	return done;
}
