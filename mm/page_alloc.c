/*
 * Two bitmaps over the pages [0, npages) below the end of the highest free
 * range: `used` (set = not free: allocated, reserved or a hole) and `managed`
 * (set = the page belongs to the allocator). Allocated = managed and used;
 * the second map lets palloc_free() refuse to "free" reserved memory.
 */
#include "mm/page_alloc.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "mm/spinlock.h"

#define LOW_MEMORY_END (1ull << 20) /* metadata stays above: low pages are scarce */

static struct {
	struct spinlock lock;
	u64 *used;
	u64 *managed;
	u64 npages;
	u64 hint; /* no page below this index is free */
	struct palloc_stats st;
} pa = { .lock = SPINLOCK_INIT };

/* --- bitmap helpers: [from, to) bit ranges, a word at a time --- */

static void fill_bits(u64 *map, u64 from, u64 to, bool value)
{
	for (u64 i = from; i < to;) {
		u64 bit = i % 64, n = MIN(64 - bit, to - i);
		u64 mask = (n == 64 ? ~0ull : (1ull << n) - 1) << bit;
		if (value)
			map[i / 64] |= mask;
		else
			map[i / 64] &= ~mask;
		i += n;
	}
}

/* The first bit in [from, to) equal to value, or to when there is none. */
static u64 find_bit(const u64 *map, u64 from, u64 to, bool value)
{
	u64 flip = value ? 0 : ~0ull;
	for (u64 i = from; i < to; i = (i / 64 + 1) * 64) {
		u64 w = (map[i / 64] ^ flip) >> (i % 64);
		if (w)
			return MIN(i + (u64)__builtin_ctzll(w), to);
	}
	return to;
}

/* --- initialization --- */

static bool is_free_type(u32 type, u32 flags)
{
	return type == BOOT_MEM_USABLE ||
	       (type == BOOT_MEM_RECLAIMABLE && (flags & PALLOC_USE_RECLAIMABLE));
}

static int check_normalized(const struct boot_mem_range *map, u32 n, char *err, size_t errlen)
{
	for (u32 i = 0; i < n; i++) {
		const struct boot_mem_range *r = &map[i];
		bool aligned = r->base % PAGE_SIZE == 0 && r->len % PAGE_SIZE == 0 && r->len;
		bool ordered = i == 0 || r->base >= map[i - 1].base + map[i - 1].len;
		if (!aligned || !ordered) {
			mmp_snprintf(err, errlen, "memory map entry %u %s: normalize the map first", i,
				     aligned ? "overlaps or precedes the one before it"
					     : "is empty or not page-aligned");
			return -1;
		}
	}
	return 0;
}

/* The first free stretch of `bytes` at or above `lowest`; 0 when none. */
static u64 find_meta_home(const struct boot_mem_range *map, u32 n, u32 flags,
			  u64 bytes, u64 lowest)
{
	for (u32 i = 0; i < n; i++) {
		u64 start = MAX(map[i].base, lowest), end = map[i].base + map[i].len;
		if (is_free_type(map[i].type, flags) && start < end && end - start >= bytes)
			return start;
	}
	return 0;
}

/* Reserves [first, first + count) for good: not free, not managed. */
static void withhold(u64 first, u64 count)
{
	first = MIN(first, pa.npages);
	count = MIN(count, pa.npages - first);
	for (u64 i = first; i < first + count; i++)
		if (!(pa.used[i / 64] >> (i % 64) & 1))
			pa.st.free_pages--;
	fill_bits(pa.used, first, first + count, true);
	fill_bits(pa.managed, first, first + count, false);
}

int palloc_init(const struct boot_mem_range *map, u32 n, u32 flags, u64 virt_offset,
		char *err, size_t errlen)
{
	u64 top = 0, words, meta_bytes, meta;

	if (check_normalized(map, n, err, errlen))
		return -1;
	for (u32 i = 0; i < n; i++)
		if (is_free_type(map[i].type, flags))
			top = map[i].base + map[i].len;
	if (top == 0) {
		mmp_snprintf(err, errlen, "the memory map has no free RAM");
		return -1;
	}
	words = (top / PAGE_SIZE + 63) / 64;
	meta_bytes = ALIGN_UP(2 * words * sizeof(u64), PAGE_SIZE);
	meta = find_meta_home(map, n, flags, meta_bytes, LOW_MEMORY_END);
	if (!meta)
		meta = find_meta_home(map, n, flags, meta_bytes, PAGE_SIZE);
	if (!meta) {
		mmp_snprintf(err, errlen, "no free range can hold the allocator's %lu-byte bitmaps",
			     meta_bytes);
		return -1;
	}

	pa.used = (u64 *)(uintptr_t)(meta + virt_offset);
	pa.managed = pa.used + words;
	pa.npages = top / PAGE_SIZE;
	pa.hint = 0;
	pa.st = (struct palloc_stats){ .meta_base = meta, .meta_pages = meta_bytes / PAGE_SIZE };
	fill_bits(pa.used, 0, words * 64, true);
	fill_bits(pa.managed, 0, words * 64, false);
	for (u32 i = 0; i < n; i++) {
		if (!is_free_type(map[i].type, flags))
			continue;
		fill_bits(pa.used, map[i].base / PAGE_SIZE, (map[i].base + map[i].len) / PAGE_SIZE, false);
		fill_bits(pa.managed, map[i].base / PAGE_SIZE, (map[i].base + map[i].len) / PAGE_SIZE, true);
		pa.st.free_pages += map[i].len / PAGE_SIZE;
	}
	withhold(0, 1); /* page 0: a null physical address must never be valid */
	withhold(meta / PAGE_SIZE, pa.st.meta_pages);
	pa.st.total_pages = pa.st.free_pages;
	return 0;
}

/* --- allocation --- */

/* First page index of a free run of npages starting at a multiple of step; 0 = none. */
static u64 find_run(u64 npages, u64 step)
{
	u64 start = ALIGN_UP(pa.hint, step);

	while (start < pa.npages && npages <= pa.npages - start) {
		u64 busy = find_bit(pa.used, start, start + npages, true);
		if (busy == start + npages)
			return start;
		start = ALIGN_UP(find_bit(pa.used, busy, pa.npages, false), step);
	}
	return 0;
}

u64 palloc(u64 npages, u64 align_bytes)
{
	u64 step = align_bytes > PAGE_SIZE ? align_bytes / PAGE_SIZE : 1;
	u64 first;

	if (npages == 0 || (align_bytes & (align_bytes - 1)))
		return 0;
	spin_lock(&pa.lock);
	first = find_run(npages, step);
	if (first) {
		fill_bits(pa.used, first, first + npages, true);
		pa.st.free_pages -= npages;
		pa.st.allocs++;
		pa.hint = find_bit(pa.used, pa.hint, pa.npages, false);
	} else {
		pa.st.failures++;
	}
	spin_unlock(&pa.lock);
	return first * PAGE_SIZE;
}

u64 palloc_page(void)
{
	return palloc(1, PAGE_SIZE);
}

int palloc_free(u64 addr, u64 npages)
{
	u64 first = addr / PAGE_SIZE, end = first + npages;
	int ret = -1;

	if (addr % PAGE_SIZE || npages == 0)
		return -1;
	spin_lock(&pa.lock);
	if (first < pa.npages && npages <= pa.npages - first &&
	    find_bit(pa.managed, first, end, false) == end &&
	    find_bit(pa.used, first, end, false) == end) {
		fill_bits(pa.used, first, end, false);
		pa.st.free_pages += npages;
		pa.st.frees++;
		pa.hint = MIN(pa.hint, first);
		ret = 0;
	}
	spin_unlock(&pa.lock);
	return ret;
}

u64 palloc_free_pages(void)
{
	u64 n;
	spin_lock(&pa.lock);
	n = pa.st.free_pages;
	spin_unlock(&pa.lock);
	return n;
}

void palloc_get_stats(struct palloc_stats *out)
{
	spin_lock(&pa.lock);
	*out = pa.st;
	spin_unlock(&pa.lock);
}
