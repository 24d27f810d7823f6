/*
 * Memslots: which guest frames are RAM and where the host keeps them.
 *
 * A VM's slots form an immutable snapshot, sorted by base_gfn, never
 * overlapping. An update copies the snapshot, applies a transaction (any
 * number of steps), validates the result as a whole and publishes it at
 * once: a vCPU sees the old layout or the new one, never a hole between.
 * The update returns only when no vCPU can still reach what it removed
 * (zapped, flushed, grace period over). See docs/MMU.md §1-2.
 */
#ifndef MM_MEMSLOT_H
#define MM_MEMSLOT_H

#include "types.h"

struct vm_mmu;

enum memslot_flags {
	MEMSLOT_READONLY = 1u << 0,  /* guest writes exit as MMIO (ROM) */
	MEMSLOT_DIRTY_LOG = 1u << 1, /* 4K write-protected mappings, a dirty bitmap */
};
#define MEMSLOT_FLAGS_ALL (MEMSLOT_READONLY | MEMSLOT_DIRTY_LOG)

#define MEMSLOTS_MAX 32768u          /* slots per VM */
#define MEMSLOT_GFN_LIMIT (1ull << 40) /* 52-bit guest-physical space, in frames */

/* Guest frames [base_gfn, base_gfn + npages) are host frames [host_pfn, ...). */
struct memslot {
	u64 base_gfn;
	u64 npages;
	u64 host_pfn;
	u32 flags;            /* enum memslot_flags */
	u32 reserved;
	u64 *dirty_bitmap;    /* one bit per page while MEMSLOT_DIRTY_LOG is set */
};

/* One step of a transaction. Slots are named by their base gfn. */
enum memslot_op {
	MEMSLOT_CREATE,    /* gfn, npages, host_pfn, flags */
	MEMSLOT_DELETE,    /* gfn */
	MEMSLOT_MOVE,      /* gfn -> to_gfn (same backing) */
	MEMSLOT_RESIZE,    /* gfn, npages (backing continues from host_pfn) */
	MEMSLOT_SPLIT,     /* gfn, at to_gfn: [gfn, to_gfn) and [to_gfn, end) */
	MEMSLOT_SET_FLAGS, /* gfn, flags */
};

struct memslot_change {
	enum memslot_op op;
	u32 flags;
	u64 gfn;
	u64 npages;
	u64 to_gfn;
	u64 host_pfn;
};

/* Why a transaction was rejected (it then changed nothing). */
enum memslot_error {
	MEMSLOT_OK = 0,
	MEMSLOT_E_BAD_OP = -1,      /* unknown op, or an empty transaction */
	MEMSLOT_E_EMPTY = -2,       /* npages == 0 */
	MEMSLOT_E_RANGE = -3,       /* end beyond MEMSLOT_GFN_LIMIT, or backing overflows */
	MEMSLOT_E_NOT_FOUND = -4,   /* no slot has that base gfn (at that step) */
	MEMSLOT_E_EXISTS = -5,      /* create at a base gfn another slot has (at that step) */
	MEMSLOT_E_OVERLAP = -6,     /* the result has two slots sharing a gfn */
	MEMSLOT_E_TOO_MANY = -7,    /* the result has more than MEMSLOTS_MAX slots */
	MEMSLOT_E_BAD_SPLIT = -8,   /* split point not strictly inside the slot */
	MEMSLOT_E_BAD_FLAGS = -9,   /* unknown flag bits */
	MEMSLOT_E_DIRTY_LOG = -10,  /* move/resize/split of a slot with dirty logging on */
	MEMSLOT_E_NO_MEMORY = -11,
	MEMSLOT_E_REFUSED = -12,    /* the caller's check refused a slot of the result */
};

const char *memslot_strerror(int err);

/*
 * Apply `n` steps at once. Returns MEMSLOT_OK or an enum memslot_error; on
 * error *bad_step (if not NULL) is the index of the failing step, or n when
 * the failure is in the final validation (overlap, count).
 * Must not be called from inside a vCPU's fault path (it waits for them).
 */
int memslots_commit(struct vm_mmu *vm, const struct memslot_change *steps, u32 n, u32 *bad_step);

/*
 * The same, with a rule of the caller's that every slot of the result must
 * pass (e.g. "backed by this VM's pool, or one of its boot slots"): a slot
 * it refuses rejects the whole transaction with MEMSLOT_E_REFUSED, *bad_step
 * = n, and *refused (if not NULL) = that slot. `check` runs under the
 * writer lock: it must not call back into the MMU.
 */
typedef bool (*memslot_check_fn)(void *ctx, const struct memslot *slot);
int memslots_commit_checked(struct vm_mmu *vm, const struct memslot_change *steps, u32 n,
			    u32 *bad_step, memslot_check_fn check, void *ctx, struct memslot *refused);

/*
 * The current generation (MMU.md §2): bit 63 = an update is in progress.
 * Anything cached against the layout is tagged with a value read after
 * the decision it protects, and nothing is cached while bit 63 is set.
 */
#define MEMSLOT_GEN_IN_PROGRESS (1ull << 63)
u64 memslots_generation(struct vm_mmu *vm);

/* Host frame of guest frame `gfn` (for the loader and device models). */
bool memslots_gfn_to_pfn(struct vm_mmu *vm, u64 gfn, u64 *pfn, u32 *flags);

/*
 * Dirty logging: copy the bitmap of the slot at base_gfn into `out`
 * (ceil(npages / 64) words), clear it, write-protect those pages again and
 * flush, then return. MEMSLOT_E_NOT_FOUND / MEMSLOT_E_BAD_FLAGS (no dirty
 * logging on that slot) / MEMSLOT_E_RANGE (out too small).
 */
int memslots_dirty_get_and_clear(struct vm_mmu *vm, u64 base_gfn, u64 *out, u64 nwords);
/*
 * A write to `gfn` the hypervisor made itself (hypercall output, device
 * emulation), not through the guest's mappings: logged like a guest write
 * when the page's slot has dirty logging on. Call it after the write, so a
 * DIRTY_GET that reports the page finds the new contents.
 */
void memslots_mark_dirty(struct vm_mmu *vm, u64 gfn);

#endif
