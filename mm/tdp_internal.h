/*
 * Inside the TDP MMU: the per-VM and per-vCPU objects and the helpers the
 * mm/tdp_*.c, mm/memslot.c and mm/nx.c files share. Host tests include it
 * to look at the state they check; nothing outside mm/ and tests/ does.
 */
#ifndef MM_TDP_INTERNAL_H
#define MM_TDP_INTERNAL_H

#include "mm/tdp.h"
#include "mm/tdp_iter.h"
#include "mm/rwlock.h"
#include "mm/epoch.h"
#include "mm/spinlock.h"

/* An immutable, sorted snapshot of a VM's slots (mm/memslot.h). */
struct memslots {
	u64 generation;   /* the VM's generation when it was built (informational) */
	u32 count;
	u32 capacity;
	u64 alloc_pages;  /* size of this allocation, for mmp_pages_free */
	/*
	 * The lookup index, in the same allocation after slots[capacity]:
	 * the slots' [base, end) in Eytzinger (BFS) order, 1-based, so a
	 * search walks one compact array top-down (prefetchable) instead of
	 * halving an array of 48-byte slots, and the node it ends on holds
	 * the base to check; idx[k] = the slot of node k.
	 */
	struct memslot_node { u64 end, base; } *node;
	u32 *idx;
	struct memslot slots[];
};

/*
 * A root table. Its generation is the VM's mmu_valid_gen when it was built;
 * it is obsolete once invalid is set or the VM's generation moved on. vCPUs
 * using it hold a reference; obsolete roots are zapped by tdp_reclaim()
 * (zapped = done, Z3) and freed when nobody references them.
 */
struct tdp_root {
	u64 *table;
	u64 gen;
	u32 refcount;     /* changes under mmu_lock (write) */
	bool invalid;     /* read without the lock by tdp_reload_needed() */
	bool zapped;
	struct tdp_root *prev, *next; /* the VM's list, oldest first */
};

/* A table created by the NX huge page mitigation (MMU.md §6). */
struct nx_split {
	struct tdp_root *root;
	u64 gfn;          /* first gfn of the huge region */
	int level;        /* level of the entry that points at the split table */
	u64 table_pa;
};

struct vm_mmu {
	const struct spte_format *fmt;
	struct mmu_config cfg;
	struct rwlock mmu_lock;
	struct spinlock slots_lock;   /* serializes memslot updates: slots_lock_acquire() */
	struct memslots *slots;       /* current snapshot, read under the epoch */
	u64 slots_gen;                /* memslots_generation() */
	u64 invalidate_seq;           /* bumped under mmu_lock by everyone who zaps (F1) */
	/*
	 * F2: a memslot update's zap window. From before the new snapshot is
	 * published until its last zap is done (lock breaks included), faults
	 * in [inval_start, inval_end) retry: an entry there may still hold the
	 * old backing, and nothing may be built from it. Under mmu_lock.
	 */
	u32 inval_count;
	u64 inval_start, inval_end;
	u64 valid_gen;                /* roots of another generation are obsolete */
	struct tdp_root *roots_head, *roots_tail; /* under mmu_lock */
	u64 unflushed;                /* zapped in live roots since the last flush (Z1) */
	u64 deferred_pa;              /* zapped table pages waiting for a grace period */
	struct epoch epoch;
	struct epoch_reader readers[MMU_MAX_VCPUS];
	struct spinlock vcpus_lock;
	struct vcpu_mmu *vcpus[MMU_MAX_VCPUS]; /* their statistics are summed with the VM's */
	struct spinlock reclaim_lock; /* one tdp_reclaim() at a time (it zaps under the read lock) */
	struct spinlock nx_lock;
	struct nx_split *nx;          /* ring of NX-split tables, oldest at nx_head */
	u32 nx_head, nx_count, nx_capacity;
	struct tdp_stats stats;       /* updated with relaxed atomics */
	u64 alloc_pages;
	struct rwlock_reader lock_slots[MMU_MAX_VCPUS]; /* mmu_lock's reader slots, one per vCPU */
};

struct vcpu_mmu {
	struct vm_mmu *vm;
	u32 index;
	struct tdp_root *root;
	u32 slot_cache;               /* memslots_find()'s cache: where the last slot was found */
	struct tdp_stats stats;       /* the fault path's counters: written by this vCPU only */
};

#define STAT_ADD(vm, field, n) __atomic_fetch_add(&(vm)->stats.field, (n), __ATOMIC_RELAXED)
#define STAT_INC(vm, field) STAT_ADD(vm, field, 1)
/* A vCPU's own counter: one writer, so no locked instruction (readers may sum meanwhile). */
#define VSTAT_ADD(v, field, n) \
	__atomic_store_n(&(v)->stats.field, __atomic_load_n(&(v)->stats.field, __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define VSTAT_INC(v, field) VSTAT_ADD(v, field, 1)

/* mm/memslot.c */
/*
 * slots_lock is held across yielding zaps and grace periods: its waiters
 * yield (spin_wait_step) instead of spinning for that long.
 */
void slots_lock_acquire(struct vm_mmu *vm);
const struct memslot *memslots_find(const struct memslots *s, u64 gfn, u32 *cache);
struct memslots *memslots_empty(void);
void memslots_free(struct memslots *s);
void memslots_free_backing(struct memslots *s);

/* mm/tdp_mmu.c */
bool tdp_root_obsolete(struct vm_mmu *vm, const struct tdp_root *root);
/* 4K frames mapped now (VM and vCPU counters summed). */
u64 tdp_pages_mapped(struct vm_mmu *vm);
void tdp_flush(struct vm_mmu *vm);
/*
 * Pages the newest live root maps in [start, end) (a leaf partly inside
 * counts whole), stopping once `enough` is reached: the cost is at most a
 * pass over the upper levels and the 4K tables it counts. Under mmu_lock
 * (read or write).
 */
u64 tdp_mapped_in_range(const struct vm_mmu *vm, u64 start, u64 end, u64 enough);
/* Unlink and free a root nobody references (its tables are zapped); under mmu_lock. */
void tdp_root_free(struct vm_mmu *vm, struct tdp_root *root);

/* mm/tdp_zap.c */
#define TDP_GFN_END (1ull << 36) /* gfns a 4-level root covers (48-bit guest-physical) */
#define ZAP_BATCH 32      /* entries visited between lock-break checks */
#define ZAP_MIN_WORK 512  /* entries visited before contention alone breaks the lock */
#define RETIRE_BATCH 64   /* detached subtrees held until the next flush */

/* A zap in progress under mmu_lock (write): what it detached since its last flush. */
struct zap_ctx {
	struct vm_mmu *vm;
	bool can_yield;
	bool shared;      /* mmu_lock is held for read (tdp_reclaim: obsolete roots only) */
	u32 nretired;
	struct { u64 pa; u64 gfn; int level; } detached[RETIRE_BATCH];
	u64 zapped;
	u32 since_break;  /* entries visited since the lock was last taken */
};
void zap_ctx_init(struct zap_ctx *z, struct vm_mmu *vm, bool can_yield);
/* Clear the iterator's current entry (which must be non-zero). */
void zap_current(struct zap_ctx *z, struct tdp_iter *it, bool live_root);
/* Flush if needed and hand the detached tables to the deferred-free list. */
void zap_ctx_finish(struct zap_ctx *z);
/* Someone waits for mmu_lock, or the CPU has other work (and we may yield). */
bool zap_should_break(struct zap_ctx *z);
/* Flush and retire (Z1), drop mmu_lock, yield, retake it. */
void zap_break(struct zap_ctx *z);
/* Between batches: if it made progress and should break, break and restart `it`. */
bool zap_maybe_break(struct zap_ctx *z, struct tdp_iter *it);
void bump_invalidate_seq(struct vm_mmu *vm);
void zap_root_range(struct zap_ctx *z, struct tdp_root *root, u64 start, u64 end);
/* Free the deferred pages after a grace period; returns how many. */
u64 tdp_free_deferred(struct vm_mmu *vm);
void tdp_zap_mmio_markers(struct vm_mmu *vm);
/*
 * A memslot update that removes mappings in [start, end): begin before the
 * new snapshot is published; then tdp_zap_removed() zaps (or fast
 * invalidates) and ends the window under the same lock.
 */
void tdp_invalidate_begin(struct vm_mmu *vm, u64 start, u64 end);
typedef void (*zap_region_fn)(struct zap_ctx *z, u64 gfn, u64 npages);
void tdp_zap_removed(struct vm_mmu *vm, bool fast,
		     void (*for_each)(void *arg, struct zap_ctx *z, zap_region_fn zap), void *arg);
/* Zap [gfn, gfn + npages) in every live root, inside a zap under mmu_lock (write). */
void zap_range_locked(struct zap_ctx *z, u64 gfn, u64 npages);

/* mm/nx.c */
void nx_record(struct vm_mmu *vm, struct tdp_root *root, u64 gfn, int level, u64 table_pa);
void nx_forget_range(struct vm_mmu *vm, u64 start, u64 end);
void nx_forget_root(struct vm_mmu *vm, struct tdp_root *root);
void nx_forget_invalid_roots(struct vm_mmu *vm);
void nx_free(struct vm_mmu *vm);

#endif
