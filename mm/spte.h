/*
 * What mm/ needs to know about one entry of a second-level table (an SPTE).
 * vmx/ describes EPT entries and svm/ NPT entries by filling one
 * `struct spte_format`; the TDP MMU never looks at a bit without it.
 *
 * Levels: 1 = a table of 4K leaves, 2 = 2M, 3 = 1G, 4 = the root (PML4).
 * Every table has 512 entries of 8 bytes and fills one page.
 *
 * Hot tests (present, leaf, address) are masks; building entries goes
 * through the format's functions (only on the fault path).
 *
 * Rules for backends:
 * - An entry is present when (spte & present_mask) != 0. A zero entry is
 *   empty. A non-zero entry that is not present must be an MMIO marker
 *   (make_mmio); nothing else non-present is ever written.
 * - NPT: nested walks are user-mode accesses, so make_leaf AND make_table
 *   must set the U/S bit (bit 2), as well as P (bit 0) and R/W (bit 1) on
 *   tables; executable is the NX bit (63) clear. A missing U/S bit on any
 *   level faults every guest access with a permission error.
 * - EPT: make_table gives R, W and X (bits 0-2); a leaf's memory type is in
 *   bits 5:3 (WB = 6, UC = 0) with "ignore PAT" (bit 6) set.
 * - A marker must not be present, must not look like any other entry, and
 *   holds mmio_gen_bits low bits of the generation given to make_mmio.
 */
#ifndef MM_SPTE_H
#define MM_SPTE_H

#include "types.h"

/* An access that faulted, and the permissions of a mapping: same bits. */
enum mm_access {
	MM_READ = 1u << 0,
	MM_WRITE = 1u << 1,
	MM_EXEC = 1u << 2,
};

enum spte_memtype {
	SPTE_MT_WB, /* guest RAM */
	SPTE_MT_UC, /* device memory */
};

#define SPTE_LEVEL_4K 1
#define SPTE_LEVEL_2M 2
#define SPTE_LEVEL_1G 3
#define SPTE_ROOT_LEVEL 4
#define SPTE_PER_TABLE 512

struct spte_format {
	const char *name;           /* "EPT", "NPT": for messages */
	u64 present_mask;           /* present iff any of these bits is set */
	u64 huge_mask;              /* at levels 2 and 3: set = leaf (PS bit) */
	u64 addr_mask;              /* the physical-address bits of an entry */
	u64 write_mask;             /* the write-permission bit (dirty logging clears it) */
	u64 accessed_mask;          /* 0 when the format has no accessed bit */
	u64 dirty_mask;             /* 0 when the format has no dirty bit */
	int max_leaf_level;         /* largest leaf: 1 (4K), 2 (2M) or 3 (1G) */
	int mmio_gen_bits;          /* generation bits a marker holds (1..32) */

	/* A leaf for host frame `pfn` at `level` with enum mm_access `perm`. */
	u64 (*make_leaf)(u64 pfn, int level, unsigned perm, enum spte_memtype type);
	/* A non-leaf entry pointing at the table at physical address `pa`. */
	u64 (*make_table)(u64 pa);
	/* The enum mm_access a present leaf grants. */
	unsigned (*leaf_perm)(u64 spte);
	/* An MMIO marker holding the low mmio_gen_bits bits of `gen`. */
	u64 (*make_mmio)(u64 gen);
	bool (*is_mmio)(u64 spte);
	/* The generation bits stored in a marker. */
	u64 (*mmio_gen)(u64 spte);
};

static inline bool spte_present(const struct spte_format *f, u64 spte)
{
	return (spte & f->present_mask) != 0;
}

/* A present entry that maps memory (rather than pointing at a table). */
static inline bool spte_leaf(const struct spte_format *f, u64 spte, int level)
{
	return level == SPTE_LEVEL_4K || (spte & f->huge_mask) != 0;
}

static inline u64 spte_addr(const struct spte_format *f, u64 spte)
{
	return spte & f->addr_mask;
}

static inline u64 spte_pfn(const struct spte_format *f, u64 spte)
{
	return (spte & f->addr_mask) >> PAGE_SHIFT;
}

/* Guest frames one entry at `level` covers: 1, 512, 512*512, ... */
static inline u64 spte_level_pages(int level)
{
	return 1ull << (9 * (level - 1));
}

/* Index of the entry covering gfn in a table at `level`. */
static inline unsigned spte_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (SPTE_PER_TABLE - 1);
}

/* Check a format a backend filled; returns NULL or what is wrong with it. */
const char *spte_format_check(const struct spte_format *f);

#endif
