/*
 * The per-VM MMU object, vCPUs and roots (MMU.md §4): a root records the
 * VM's valid generation when it is built; bumping the VM's generation makes
 * every root obsolete at once, and vCPUs pick up a new one before entry.
 */
#include "mm/tdp_internal.h"
#include "mm/platform.h"
#include "kstring.h"

struct nx_params nx_default_params = {
	.enabled = true,
	.ratio = NX_DEFAULT_RATIO,
	.period_ms = NX_DEFAULT_PERIOD_MS,
};

const char *tdp_strerror(int result)
{
	switch (result) {
	case TDP_MAPPED: return "mapped";
	case TDP_MMIO: return "MMIO";
	case TDP_RETRY: return "retry";
	case TDP_E_NOMEM: return "out of memory for second-level tables";
	case TDP_E_GPA: return "guest-physical address beyond the supported width";
	case TDP_E_INVALID: return "invalid argument";
	default: return "unknown TDP result";
	}
}

int mmu_create(const struct mmu_config *cfg, struct vm_mmu **out)
{
	*out = NULL;
	if (!cfg || spte_format_check(cfg->format) || cfg->max_vcpus == 0 ||
	    cfg->max_vcpus > MMU_MAX_VCPUS || (cfg->nx.enabled && cfg->nx.ratio == 0) ||
	    (u32)cfg->zap_policy > MMU_ZAP_SLOT)
		return TDP_E_INVALID;
	u64 pages = ALIGN_UP(sizeof(struct vm_mmu), PAGE_SIZE) / PAGE_SIZE;
	struct vm_mmu *vm = mmp_pages_alloc(pages);
	if (!vm)
		return TDP_E_NOMEM;
	vm->alloc_pages = pages;
	vm->cfg = *cfg;
	vm->fmt = cfg->format;
	vm->slots = memslots_empty();
	if (!vm->slots) {
		mmp_pages_free(vm, pages);
		return TDP_E_NOMEM;
	}
	rwlock_init_slots(&vm->mmu_lock, vm->lock_slots, cfg->max_vcpus);
	spin_init(&vm->slots_lock);
	spin_init(&vm->vcpus_lock);
	spin_init(&vm->nx_lock);
	spin_init(&vm->reclaim_lock);
	epoch_init(&vm->epoch, vm->readers, cfg->max_vcpus);
	vm->valid_gen = 1;
	*out = vm;
	return 0;
}

/* A root nobody references any more; it was zapped (or never used). */
void tdp_root_free(struct vm_mmu *vm, struct tdp_root *root)
{
	if (root->prev)
		root->prev->next = root->next;
	else
		vm->roots_head = root->next;
	if (root->next)
		root->next->prev = root->prev;
	else
		vm->roots_tail = root->prev;
	nx_forget_root(vm, root);
	mmp_pages_free(root->table, 1);
	mmp_pages_free(root, 1);
	STAT_INC(vm, roots_freed);
	STAT_INC(vm, tables_freed);
}

void mmu_destroy(struct vm_mmu *vm)
{
	if (!vm)
		return;
	tdp_invalidate_all(vm);
	tdp_reclaim(vm);
	write_lock(&vm->mmu_lock);
	while (vm->roots_head)
		tdp_root_free(vm, vm->roots_head);
	write_unlock(&vm->mmu_lock);
	nx_free(vm);
	memslots_free_backing(vm->slots);
	memslots_free(vm->slots);
	mmp_pages_free(vm, vm->alloc_pages);
}

int mmu_vcpu_create(struct vm_mmu *vm, struct vcpu_mmu **out)
{
	*out = NULL;
	struct vcpu_mmu *v = mmp_pages_alloc(1);
	if (!v)
		return TDP_E_NOMEM;
	spin_lock(&vm->vcpus_lock);
	u32 i = 0;
	while (i < vm->cfg.max_vcpus && vm->vcpus[i])
		i++;
	if (i == vm->cfg.max_vcpus) {
		spin_unlock(&vm->vcpus_lock);
		mmp_pages_free(v, 1);
		return TDP_E_INVALID;
	}
	v->vm = vm;
	v->index = i;
	vm->vcpus[i] = v;
	spin_unlock(&vm->vcpus_lock);
	*out = v;
	return 0;
}

static void root_put(struct vm_mmu *vm, struct tdp_root *root)
{
	root->refcount--;
	if (root->refcount == 0 && root->zapped)
		tdp_root_free(vm, root);
}

void mmu_vcpu_destroy(struct vcpu_mmu *v)
{
	if (!v)
		return;
	struct vm_mmu *vm = v->vm;
	if (v->root) {
		write_lock(&vm->mmu_lock);
		root_put(vm, v->root);
		write_unlock(&vm->mmu_lock);
	}
	spin_lock(&vm->vcpus_lock);
	vm->vcpus[v->index] = NULL;
	const u64 *mine = (const u64 *)&v->stats; /* its counts stay with the VM */
	u64 *total = (u64 *)&vm->stats;
	for (u32 i = 0; i < sizeof(v->stats) / sizeof(u64); i++)
		__atomic_fetch_add(&total[i], mine[i], __ATOMIC_RELAXED);
	spin_unlock(&vm->vcpus_lock);
	mmp_pages_free(v, 1);
}

bool tdp_root_obsolete(struct vm_mmu *vm, const struct tdp_root *root)
{
	return __atomic_load_n(&root->invalid, __ATOMIC_ACQUIRE) ||
	       root->gen != __atomic_load_n(&vm->valid_gen, __ATOMIC_ACQUIRE);
}

bool tdp_reload_needed(const struct vcpu_mmu *v)
{
	return !v->root || tdp_root_obsolete(v->vm, v->root);
}

/* The newest root if it is current, else a new one; under mmu_lock (write). */
static struct tdp_root *current_root(struct vm_mmu *vm)
{
	struct tdp_root *r = vm->roots_tail;
	if (r && !tdp_root_obsolete(vm, r))
		return r;
	r = mmp_pages_alloc(1);
	u64 *table = mmp_pages_alloc(1);
	if (!r || !table) {
		mmp_pages_free(r, 1);
		mmp_pages_free(table, 1);
		return NULL;
	}
	r->table = table;
	r->gen = vm->valid_gen;
	r->prev = vm->roots_tail;
	if (vm->roots_tail)
		vm->roots_tail->next = r;
	else
		vm->roots_head = r;
	vm->roots_tail = r;
	STAT_INC(vm, roots_created);
	STAT_INC(vm, tables_allocated);
	return r;
}

int tdp_load_root(struct vcpu_mmu *v, u64 *root_pa)
{
	struct vm_mmu *vm = v->vm;
	write_lock(&vm->mmu_lock);
	struct tdp_root *r = current_root(vm);
	if (!r) {
		write_unlock(&vm->mmu_lock);
		return TDP_E_NOMEM;
	}
	r->refcount++;
	if (v->root)
		root_put(vm, v->root);
	v->root = r;
	write_unlock(&vm->mmu_lock);
	*root_pa = mmp_virt_to_phys(r->table);
	return 0;
}

void tdp_flush(struct vm_mmu *vm)
{
	vm->unflushed = 0;
	STAT_INC(vm, tlb_flushes);
	mmp_flush_remote_tlbs(vm->cfg.owner);
}

u64 tdp_pages_mapped(struct vm_mmu *vm)
{
	struct tdp_stats st;
	tdp_get_stats(vm, &st);
	return st.pages_mapped;
}

/* Present entries of a 4K table (a plain pass over one page). */
static u64 present_entries(const struct spte_format *f, const u64 *table)
{
	u64 n = 0;
	for (u32 i = 0; i < SPTE_PER_TABLE; i++)
		n += spte_present(f, __atomic_load_n(&table[i], __ATOMIC_RELAXED));
	return n;
}

u64 tdp_mapped_in_range(const struct vm_mmu *vm, u64 start, u64 end, u64 enough)
{
	const struct tdp_root *r = vm->roots_tail;
	if (!r || r->invalid || r->gen != vm->valid_gen)
		return 0;
	const struct spte_format *f = vm->fmt;
	struct tdp_iter it;
	u64 n = 0;
	for (tdp_iter_start(&it, f, r->table, SPTE_ROOT_LEVEL, 0, start, end, SPTE_LEVEL_2M);
	     it.valid && n < enough; tdp_iter_next(&it))
		if (spte_present(f, it.old) && spte_leaf(f, it.old, it.level))
			n += spte_level_pages(it.level);
		else if (spte_present(f, it.old) && it.level == SPTE_LEVEL_2M)
			n += present_entries(f, mmp_phys_to_virt(spte_addr(f, it.old)));
	return n;
}

const struct nx_params *mmu_nx_params(struct vm_mmu *vm)
{
	return &vm->cfg.nx;
}

/* The VM's counters plus every live vCPU's (destroyed vCPUs were folded in). */
void tdp_get_stats(struct vm_mmu *vm, struct tdp_stats *out)
{
	u64 *dst = (u64 *)out;
	const u32 n = sizeof(*out) / sizeof(u64);
	spin_lock(&vm->vcpus_lock);
	for (u32 i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&((const u64 *)&vm->stats)[i], __ATOMIC_RELAXED);
	for (u32 v = 0; v < vm->cfg.max_vcpus; v++)
		for (u32 i = 0; vm->vcpus[v] && i < n; i++)
			dst[i] += __atomic_load_n(&((const u64 *)&vm->vcpus[v]->stats)[i], __ATOMIC_RELAXED);
	spin_unlock(&vm->vcpus_lock);
	spin_lock(&vm->nx_lock);
	out->nx_current = vm->nx_count;
	spin_unlock(&vm->nx_lock);
}
