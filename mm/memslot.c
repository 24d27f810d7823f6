/*
 * Memslot snapshots and transactions (mm/memslot.h, MMU.md §1-2).
 * A transaction edits a private copy; the copy is validated as a whole and
 * published with one store. Lookups never take a lock: they run inside the
 * vCPU's epoch read section, and old snapshots are freed after a grace period.
 */
#include "mm/tdp_internal.h"
#include "mm/platform.h"
#include "kstring.h"

static const char *const error_names[] = {
	[0] = "ok",
	[-MEMSLOT_E_BAD_OP] = "unknown operation or empty transaction",
	[-MEMSLOT_E_EMPTY] = "a slot must have at least one page",
	[-MEMSLOT_E_RANGE] = "range ends beyond the guest-physical limit or backing overflows",
	[-MEMSLOT_E_NOT_FOUND] = "no slot starts at that gfn",
	[-MEMSLOT_E_EXISTS] = "a slot already starts at that gfn",
	[-MEMSLOT_E_OVERLAP] = "slots would overlap",
	[-MEMSLOT_E_TOO_MANY] = "more slots than MEMSLOTS_MAX",
	[-MEMSLOT_E_BAD_SPLIT] = "split point not strictly inside the slot",
	[-MEMSLOT_E_BAD_FLAGS] = "unknown flags, or dirty logging is off on that slot",
	[-MEMSLOT_E_DIRTY_LOG] = "cannot move, resize or split a slot while dirty logging is on",
	[-MEMSLOT_E_NO_MEMORY] = "out of memory",
	[-MEMSLOT_E_REFUSED] = "the caller's check refused a slot of the result",
};

const char *memslot_strerror(int err)
{
	if (err > 0 || -err >= (int)ARRAY_SIZE(error_names))
		return "unknown memslot error";
	return error_names[-err];
}

static u64 snapshot_bytes(u32 capacity)
{
	return sizeof(struct memslots) + (u64)capacity * sizeof(struct memslot) +
	       (capacity + 1ull) * (sizeof(struct memslot_node) + sizeof(u32));
}

static u64 snapshot_pages(u32 capacity)
{
	return ALIGN_UP(snapshot_bytes(capacity), PAGE_SIZE) / PAGE_SIZE;
}

static struct memslots *snapshot_alloc(u32 capacity)
{
	u64 pages = snapshot_pages(capacity);
	struct memslots *s = mmp_pages_alloc(pages);
	if (!s)
		return NULL;
	s->capacity = capacity;
	s->alloc_pages = pages;
	s->node = (struct memslot_node *)&s->slots[capacity];
	s->idx = (u32 *)(s->node + capacity + 1);
	return s;
}

static u64 slot_end(const struct memslot *m)
{
	return m->base_gfn + m->npages;
}

/* In-order over the implicit tree (children of k: 2k, 2k+1) = sorted order. */
static u32 index_fill(struct memslots *s, u32 next, u32 k)
{
	if (k > s->count)
		return next;
	next = index_fill(s, next, 2 * k);
	s->node[k].end = slot_end(&s->slots[next]);
	s->node[k].base = s->slots[next].base_gfn;
	s->idx[k] = next;
	return index_fill(s, next + 1, 2 * k + 1);
}

struct memslots *memslots_empty(void)
{
	return snapshot_alloc(0);
}

void memslots_free(struct memslots *s)
{
	if (s)
		mmp_pages_free(s, s->alloc_pages);
}

static u64 bitmap_pages(u64 npages)
{
	return ALIGN_UP(ALIGN_UP(npages, 64) / 8, PAGE_SIZE) / PAGE_SIZE;
}

/* Frees what the slots own (dirty bitmaps): only at VM destruction. */
void memslots_free_backing(struct memslots *s)
{
	for (u32 i = 0; s && i < s->count; i++)
		if (s->slots[i].dirty_bitmap)
			mmp_pages_free(s->slots[i].dirty_bitmap, bitmap_pages(s->slots[i].npages));
}

/* `cache` (per vCPU, opaque, 0 = empty) remembers the last hit and is checked first. */
const struct memslot *memslots_find(const struct memslots *s, u64 gfn, u32 *cache)
{
	if (cache && *cache - 1 < s->count) { /* the node of the last hit (0: none) */
		const struct memslot_node *c = &s->node[*cache];
		if (gfn >= c->base && gfn < c->end)
			return &s->slots[s->idx[*cache]];
	}
	/* the first slot whose end is above gfn: right while end[k] <= gfn */
	const struct memslot_node *node = s->node;
	u32 n = s->count, k = 1;
	while (k <= n) {
		if (8 * k <= n)
			__builtin_prefetch(&node[8 * k]); /* three levels down */
		k = 2 * k + (node[k].end <= gfn);
	}
	k >>= __builtin_ffs(~k); /* undo the right turns after the last left one */
	if (k == 0 || node[k].base > gfn)
		return NULL;
	if (cache)
		*cache = k;
	return &s->slots[s->idx[k]];
}

/* ---- transactions ---- */

/* The private copy a transaction edits, plus the bitmaps it creates and drops. */
struct txn {
	struct memslots *s;
	bool sorted;
	void **created, **dropped; /* dirty bitmaps (with their slot sizes) */
	u64 *created_pages, *dropped_pages;
	u32 ncreated, ndropped;
	void *scratch;
	u64 scratch_pages;
	u64 *bases;          /* open-addressing set of the slots' base gfns */
	u64 bases_mask;
	u64 bases_pages;
};

/* ---- the set of base gfns: "does a slot start here?" without sorting ---- */
#define BASE_EMPTY (~0ull)
#define BASE_GONE (~0ull - 1)

static u64 *base_slot(struct txn *t, u64 gfn, bool for_insert)
{
	u64 i = (gfn * 0x9e3779b97f4a7c15ull) >> 20;
	u64 *gone = NULL;
	for (;; i++) {
		u64 *e = &t->bases[i & t->bases_mask];
		if (*e == gfn)
			return e;
		if (*e == BASE_GONE && !gone)
			gone = e;
		if (*e == BASE_EMPTY)
			return for_insert ? (gone ? gone : e) : NULL;
	}
}

static bool base_exists(struct txn *t, u64 gfn)
{
	return base_slot(t, gfn, false) != NULL;
}

static void base_add(struct txn *t, u64 gfn)
{
	*base_slot(t, gfn, true) = gfn;
}

static void base_remove(struct txn *t, u64 gfn)
{
	u64 *e = base_slot(t, gfn, false);
	if (e)
		*e = BASE_GONE;
}

static void sift_down(struct memslot *a, u32 root, u32 n)
{
	for (;;) {
		u32 child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && a[child + 1].base_gfn > a[child].base_gfn)
			child++;
		if (a[root].base_gfn >= a[child].base_gfn)
			return;
		struct memslot t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

/* Heap sort by base gfn: no recursion, no allocation (also runs in the kernel). */
static void sort_slots(struct memslot *a, u32 n)
{
	for (u32 i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (u32 end = n; end-- > 1;) {
		struct memslot t = a[0];
		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

static struct memslot *txn_find(struct txn *t, u64 base_gfn)
{
	if (!t->sorted) {
		sort_slots(t->s->slots, t->s->count);
		t->sorted = true;
	}
	/* by base only: slots may overlap until the final validation */
	u32 lo = 0, hi = t->s->count;
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		if (t->s->slots[mid].base_gfn < base_gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->s->count && t->s->slots[lo].base_gfn == base_gfn ? &t->s->slots[lo] : NULL;
}

static struct memslot *txn_append(struct txn *t, const struct memslot *m)
{
	struct memslots *s = t->s;
	if (s->count && m->base_gfn <= s->slots[s->count - 1].base_gfn)
		t->sorted = false;
	s->slots[s->count] = *m;
	return &s->slots[s->count++];
}

static void txn_remove(struct txn *t, struct memslot *m)
{
	struct memslots *s = t->s;
	u32 i = m - s->slots;
	memmove(&s->slots[i], &s->slots[i + 1], (s->count - i - 1) * sizeof(*m));
	s->count--;
}

static int bitmap_create(struct txn *t, struct memslot *m)
{
	u64 pages = bitmap_pages(m->npages);
	m->dirty_bitmap = mmp_pages_alloc(pages);
	if (!m->dirty_bitmap)
		return MEMSLOT_E_NO_MEMORY;
	t->created[t->ncreated] = m->dirty_bitmap;
	t->created_pages[t->ncreated++] = pages;
	return MEMSLOT_OK;
}

static void bitmap_drop(struct txn *t, struct memslot *m)
{
	t->dropped[t->ndropped] = m->dirty_bitmap;
	t->dropped_pages[t->ndropped++] = bitmap_pages(m->npages);
	m->dirty_bitmap = NULL;
}

static int check_range(u64 gfn, u64 npages, u64 host_pfn)
{
	if (npages == 0)
		return MEMSLOT_E_EMPTY;
	if (gfn >= MEMSLOT_GFN_LIMIT || npages > MEMSLOT_GFN_LIMIT - gfn ||
	    host_pfn + npages < host_pfn || host_pfn + npages > (1ull << 52))
		return MEMSLOT_E_RANGE;
	return MEMSLOT_OK;
}

static int step_create(struct txn *t, const struct memslot_change *c)
{
	int err = check_range(c->gfn, c->npages, c->host_pfn);
	if (err)
		return err;
	if (c->flags & ~MEMSLOT_FLAGS_ALL)
		return MEMSLOT_E_BAD_FLAGS;
	if (base_exists(t, c->gfn))
		return MEMSLOT_E_EXISTS;
	if (t->s->count == t->s->capacity)
		return MEMSLOT_E_TOO_MANY;
	base_add(t, c->gfn);
	struct memslot m = { .base_gfn = c->gfn, .npages = c->npages, .host_pfn = c->host_pfn,
			     .flags = c->flags };
	struct memslot *added = txn_append(t, &m);
	return (c->flags & MEMSLOT_DIRTY_LOG) ? bitmap_create(t, added) : MEMSLOT_OK;
}

static int step_reshape(struct txn *t, const struct memslot_change *c, struct memslot *m)
{
	int err;
	if (m->flags & MEMSLOT_DIRTY_LOG)
		return MEMSLOT_E_DIRTY_LOG;
	switch (c->op) {
	case MEMSLOT_MOVE:
		if ((err = check_range(c->to_gfn, m->npages, m->host_pfn)))
			return err;
		if (c->to_gfn != m->base_gfn && base_exists(t, c->to_gfn))
			return MEMSLOT_E_EXISTS;
		base_remove(t, m->base_gfn);
		base_add(t, c->to_gfn);
		m->base_gfn = c->to_gfn;
		t->sorted = false;
		return MEMSLOT_OK;
	case MEMSLOT_RESIZE:
		if ((err = check_range(m->base_gfn, c->npages, m->host_pfn)))
			return err;
		m->npages = c->npages;
		return MEMSLOT_OK;
	default: { /* MEMSLOT_SPLIT */
		if (c->to_gfn <= m->base_gfn || c->to_gfn >= slot_end(m))
			return MEMSLOT_E_BAD_SPLIT;
		if (t->s->count == t->s->capacity)
			return MEMSLOT_E_TOO_MANY;
		struct memslot tail = *m;
		tail.base_gfn = c->to_gfn;
		tail.npages = slot_end(m) - c->to_gfn;
		tail.host_pfn = m->host_pfn + (c->to_gfn - m->base_gfn);
		m->npages = c->to_gfn - m->base_gfn;
		base_add(t, tail.base_gfn);
		txn_append(t, &tail);
		return MEMSLOT_OK;
	}
	}
}

static int step_set_flags(struct txn *t, const struct memslot_change *c, struct memslot *m)
{
	if (c->flags & ~MEMSLOT_FLAGS_ALL)
		return MEMSLOT_E_BAD_FLAGS;
	u32 was = m->flags;
	m->flags = c->flags;
	if ((c->flags & MEMSLOT_DIRTY_LOG) && !(was & MEMSLOT_DIRTY_LOG))
		return bitmap_create(t, m);
	if (!(c->flags & MEMSLOT_DIRTY_LOG) && (was & MEMSLOT_DIRTY_LOG))
		bitmap_drop(t, m);
	return MEMSLOT_OK;
}

static int apply_step(struct txn *t, const struct memslot_change *c)
{
	if (c->op == MEMSLOT_CREATE)
		return step_create(t, c);
	if ((u32)c->op > MEMSLOT_SET_FLAGS)
		return MEMSLOT_E_BAD_OP;
	struct memslot *m = txn_find(t, c->gfn);
	if (!m)
		return MEMSLOT_E_NOT_FOUND;
	switch (c->op) {
	case MEMSLOT_DELETE:
		if (m->dirty_bitmap)
			bitmap_drop(t, m);
		base_remove(t, m->base_gfn);
		txn_remove(t, m);
		return MEMSLOT_OK;
	case MEMSLOT_SET_FLAGS:
		return step_set_flags(t, c, m);
	default:
		return step_reshape(t, c, m);
	}
}

/* A caller's rule for every slot of the result (memslots_commit_checked). */
struct txn_check {
	memslot_check_fn fn;
	void *ctx;
	struct memslot *refused;
};

/* The whole result: sorted, no two slots share a gfn, every slot passes the caller's check. */
static int validate(struct txn *t, const struct txn_check *check)
{
	struct memslots *s = t->s;
	if (!t->sorted)
		sort_slots(s->slots, s->count);
	t->sorted = true;
	for (u32 i = 1; i < s->count; i++)
		if (slot_end(&s->slots[i - 1]) > s->slots[i].base_gfn)
			return MEMSLOT_E_OVERLAP;
	for (u32 i = 0; check->fn && i < s->count; i++) {
		if (!check->fn(check->ctx, &s->slots[i])) {
			if (check->refused)
				*check->refused = s->slots[i];
			return MEMSLOT_E_REFUSED;
		}
	}
	return MEMSLOT_OK;
}

static void txn_release(struct txn *t, bool failed)
{
	if (failed) {
		for (u32 i = 0; i < t->ncreated; i++)
			mmp_pages_free(t->created[i], t->created_pages[i]);
		memslots_free(t->s);
	}
	if (t->scratch)
		mmp_pages_free(t->scratch, t->scratch_pages);
	if (t->bases)
		mmp_pages_free(t->bases, t->bases_pages);
}

/* Copy `old` and apply the steps. MEMSLOT_OK leaves the result in t->s. */
static int txn_build(struct txn *t, const struct memslots *old, const struct memslot_change *steps,
		     u32 n, u32 *bad_step, const struct txn_check *check)
{
	u32 grow = 0;
	for (u32 i = 0; i < n; i++)
		grow += steps[i].op == MEMSLOT_CREATE || steps[i].op == MEMSLOT_SPLIT;
	u32 capacity = MIN((u64)old->count + grow, MEMSLOTS_MAX);
	memset(t, 0, sizeof(*t));
	t->scratch_pages = ALIGN_UP(4ull * n * sizeof(u64), PAGE_SIZE) / PAGE_SIZE;
	t->scratch = mmp_pages_alloc(t->scratch_pages);
	t->s = snapshot_alloc(capacity);
	u64 set_size = 64;
	while (set_size < 2ull * (capacity + n))
		set_size *= 2;
	t->bases_mask = set_size - 1;
	t->bases_pages = ALIGN_UP(set_size * sizeof(u64), PAGE_SIZE) / PAGE_SIZE;
	t->bases = mmp_pages_alloc(t->bases_pages);
	if (!t->s || !t->scratch || !t->bases) {
		*bad_step = 0;
		txn_release(t, true);
		return MEMSLOT_E_NO_MEMORY;
	}
	t->created = t->scratch;
	t->dropped = t->created + n;
	t->created_pages = (u64 *)(t->dropped + n);
	t->dropped_pages = t->created_pages + n;
	memcpy(t->s->slots, old->slots, old->count * sizeof(old->slots[0]));
	t->s->count = old->count;
	t->sorted = true;
	memset(t->bases, 0xff, set_size * sizeof(u64));
	for (u32 i = 0; i < old->count; i++)
		base_add(t, old->slots[i].base_gfn);
	for (u32 i = 0; i < n; i++) {
		int err = apply_step(t, &steps[i]);
		if (err) {
			*bad_step = i;
			txn_release(t, true);
			return err;
		}
	}
	int err = validate(t, check);
	if (err) {
		*bad_step = n;
		txn_release(t, true);
		return err;
	}
	index_fill(t->s, 0, 1);
	return MEMSLOT_OK;
}

/* ---- what the new layout takes away ---- */

/* Does `new` map gfn..gfn+npages of old slot `o` the same way (or more strictly not)? */
static bool slot_kept(const struct memslot *o, const struct memslot *m)
{
	u32 added = m->flags & ~o->flags;
	return m->host_pfn - m->base_gfn == o->host_pfn - o->base_gfn &&
	       !(added & (MEMSLOT_READONLY | MEMSLOT_DIRTY_LOG));
}

/* What one update takes away: the span it covers and how many pages. */
struct removed {
	u64 start, end, pages;
};

/*
 * Calls fn(arg, gfn, npages) for every part of an old slot the new snapshot
 * no longer maps the same way (fn may be NULL); returns what it found.
 */
static struct removed for_each_removed(const struct memslots *old, const struct memslots *new,
				       void (*fn)(void *arg, u64 gfn, u64 npages), void *arg)
{
	struct removed r = { .start = ~0ull, .end = 0, .pages = 0 };
	for (u32 i = 0; i < old->count; i++) {
		const struct memslot *o = &old->slots[i];
		u64 gfn = o->base_gfn;
		while (gfn < slot_end(o)) {
			u32 cache = 0;
			const struct memslot *m = memslots_find(new, gfn, &cache);
			u64 next;
			if (m) {
				next = MIN(slot_end(m), slot_end(o));
				if (slot_kept(o, m)) {
					gfn = next;
					continue;
				}
			} else {
				/* up to the next new slot, or the end of the old one */
				next = slot_end(o);
				u32 lo = 0, hi = new->count;
				while (lo < hi) {
					u32 mid = lo + (hi - lo) / 2;
					if (new->slots[mid].base_gfn <= gfn)
						lo = mid + 1;
					else
						hi = mid;
				}
				if (lo < new->count)
					next = MIN(next, new->slots[lo].base_gfn);
			}
			if (fn)
				fn(arg, gfn, next - gfn);
			r.start = MIN(r.start, gfn);
			r.end = MAX(r.end, next);
			r.pages += next - gfn;
			gfn = next;
		}
	}
	return r;
}

/* tdp_zap_removed() walks the removed regions through this, under mmu_lock. */
struct zap_walk {
	const struct memslots *old, *new;
	struct zap_ctx *z;
	zap_region_fn zap;
};

static void zap_one_region(void *arg, u64 gfn, u64 npages)
{
	struct zap_walk *w = arg;
	w->zap(w->z, gfn, npages);
}

static void zap_each_region(void *arg, struct zap_ctx *z, zap_region_fn zap)
{
	struct zap_walk *w = arg;
	w->z = z;
	w->zap = zap;
	for_each_removed(w->old, w->new, zap_one_region, w);
}

/*
 * Delete/move of most of what is mapped: obsolete every root at once (MMU.md
 * §4). "Most" is judged by what the removed regions map, not their size: a
 * large slot the guest barely touched is cheaper to zap than every mapping
 * of the VM is to rebuild.
 */
#define FAST_INVALIDATE_MIN_PAGES 4096

struct mapped_count {
	const struct vm_mmu *vm;
	u64 pages, enough;
};

static void count_region(void *arg, u64 gfn, u64 npages)
{
	struct mapped_count *c = arg;
	if (c->pages < c->enough)
		c->pages += tdp_mapped_in_range(c->vm, gfn, gfn + npages, c->enough - c->pages);
}

static bool prefer_fast_invalidate(struct vm_mmu *vm, const struct memslots *old,
				   const struct memslots *new)
{
	if (vm->cfg.zap_policy != MMU_ZAP_AUTO)
		return vm->cfg.zap_policy == MMU_ZAP_FAST;
	u64 mapped = tdp_pages_mapped(vm);
	if (mapped < FAST_INVALIDATE_MIN_PAGES)
		return false;
	struct mapped_count c = { .vm = vm, .enough = mapped / 2 };
	read_lock(&vm->mmu_lock); /* no table is detached while we look */
	for_each_removed(old, new, count_region, &c);
	read_unlock(&vm->mmu_lock);
	return c.pages >= c.enough;
}

void slots_lock_acquire(struct vm_mmu *vm)
{
	spin_lock_yielding(&vm->slots_lock);
}

static void publish(struct vm_mmu *vm, struct memslots *s)
{
	__atomic_store_n(&vm->slots, s, __ATOMIC_SEQ_CST);
}

int memslots_commit(struct vm_mmu *vm, const struct memslot_change *steps, u32 n, u32 *bad_step)
{
	return memslots_commit_checked(vm, steps, n, bad_step, NULL, NULL, NULL);
}

int memslots_commit_checked(struct vm_mmu *vm, const struct memslot_change *steps, u32 n,
			    u32 *bad_step, memslot_check_fn check_fn, void *ctx, struct memslot *refused)
{
	const struct txn_check check = { .fn = check_fn, .ctx = ctx, .refused = refused };
	u32 dummy;
	bad_step = bad_step ? bad_step : &dummy;
	*bad_step = 0;
	if (n == 0)
		return MEMSLOT_E_BAD_OP;
	slots_lock_acquire(vm);
	struct memslots *old = vm->slots;
	struct txn t;
	int err = txn_build(&t, old, steps, n, bad_step, &check);
	if (err) {
		spin_unlock(&vm->slots_lock);
		return err;
	}
	/*
	 * 1. faults in what goes away retry from now until its last zap is
	 * done (F2); then publish with the in-progress bit: nothing is cached
	 * against either layout now
	 */
	struct removed removed = for_each_removed(old, t.s, NULL, NULL);
	if (removed.pages)
		tdp_invalidate_begin(vm, removed.start, removed.end);
	u64 gen = __atomic_load_n(&vm->slots_gen, __ATOMIC_RELAXED);
	t.s->generation = gen + 1;
	__atomic_store_n(&vm->slots_gen, gen | MEMSLOT_GEN_IN_PROGRESS, __ATOMIC_SEQ_CST);
	publish(vm, t.s);

	/* 2. zap what the new layout no longer allows, all regions in one pass; flushes inside */
	if (removed.pages) {
		struct zap_walk w = { .old = old, .new = t.s };
		tdp_zap_removed(vm, prefer_fast_invalidate(vm, old, t.s), zap_each_region, &w);
	}

	/* 3. grace period: no reader still holds the old snapshot */
	epoch_synchronize(&vm->epoch);
	u64 mask = (1ull << vm->fmt->mmio_gen_bits) - 1;
	if (((gen + 1) & mask) == 0)
		tdp_zap_mmio_markers(vm); /* the marker bits wrap: old markers would match again */
	__atomic_store_n(&vm->slots_gen, gen + 1, __ATOMIC_SEQ_CST);

	/* 4. release the old snapshot and what it alone owned */
	for (u32 i = 0; i < t.ndropped; i++)
		mmp_pages_free(t.dropped[i], t.dropped_pages[i]);
	txn_release(&t, false);
	memslots_free(old);
	tdp_free_deferred(vm);
	spin_unlock(&vm->slots_lock);
	return MEMSLOT_OK;
}

u64 memslots_generation(struct vm_mmu *vm)
{
	return __atomic_load_n(&vm->slots_gen, __ATOMIC_SEQ_CST);
}

bool memslots_gfn_to_pfn(struct vm_mmu *vm, u64 gfn, u64 *pfn, u32 *flags)
{
	slots_lock_acquire(vm);
	const struct memslot *m = memslots_find(vm->slots, gfn, NULL);
	if (m) {
		*pfn = m->host_pfn + (gfn - m->base_gfn);
		if (flags)
			*flags = m->flags;
	}
	spin_unlock(&vm->slots_lock);
	return m != NULL;
}
