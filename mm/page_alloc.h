/*
 * The physical page allocator: every page of free RAM in the normalized
 * memory map, one bit each. Single pages, contiguous runs (page tables) and
 * aligned runs (2 MiB for guest RAM). Pages are not zeroed. Safe to call
 * from any CPU (one internal spinlock); not from interrupt handlers.
 *
 * Never handed out: page 0, anything not USABLE (or RECLAIMABLE, with
 * PALLOC_USE_RECLAIMABLE), and the allocator's own bitmaps, which it carves
 * out of the first free range at or above 1 MiB that can hold them.
 */
#ifndef MM_PAGE_ALLOC_H
#define MM_PAGE_ALLOC_H

#include "boot_info.h"

enum palloc_flags {
	PALLOC_USE_RECLAIMABLE = 1 << 0, /* boot-services memory is free too */
};

struct palloc_stats {
	u64 total_pages;  /* pages the allocator manages (free at init) */
	u64 free_pages;
	u64 meta_base;    /* physical address of the allocator's bitmaps */
	u64 meta_pages;
	u64 allocs, frees, failures; /* calls to palloc that succeeded / palloc_free / palloc that failed */
};

/*
 * Builds the allocator from a map normalized by memmap_normalize() (sorted,
 * disjoint, page-aligned: checked). virt_offset is added to a physical
 * address to reach it: 0 in the identity-mapped kernel, the base of a
 * host buffer standing in for physical memory in tests. Calling it again
 * starts over. Returns 0, or -1 with a message in err.
 */
int palloc_init(const struct boot_mem_range *map, u32 n, u32 flags, u64 virt_offset,
		char *err, size_t errlen);

/*
 * npages contiguous free pages whose address is a multiple of align_bytes
 * (a power of two; 0 or anything below PAGE_SIZE means PAGE_SIZE).
 * Returns the physical address, or 0 when no such run is free (or the
 * arguments are invalid: npages == 0, align not a power of two).
 */
u64 palloc(u64 npages, u64 align_bytes);

/* One page: palloc(1, PAGE_SIZE). */
u64 palloc_page(void);

/*
 * Gives back a run that palloc returned (or a part of one). Returns 0, or
 * -1 and changes nothing when any page of it is not currently allocated
 * (double free, reserved memory, misaligned or out of range): a caller bug.
 */
int palloc_free(u64 pa, u64 npages);

u64 palloc_free_pages(void);
void palloc_get_stats(struct palloc_stats *out);

#endif
