/*
 * Memory map normalization by a sweep over boundaries: from the lowest
 * boundary upward, find the winning type of each elementary interval and
 * emit it, merging with the previous piece when it touches and matches.
 * O(n^2) in the number of ranges, no scratch memory: n is at most a few
 * hundred and this runs once per boot.
 */
#include "mm/memmap.h"
#include "mm/platform.h"

static const char *const type_names[] = {
	[BOOT_MEM_USABLE] = "usable",
	[BOOT_MEM_RECLAIMABLE] = "reclaimable",
	[BOOT_MEM_ACPI_RECLAIM] = "acpi-reclaim",
	[BOOT_MEM_ACPI_NVS] = "acpi-nvs",
	[BOOT_MEM_FW_RUNTIME] = "firmware-runtime",
	[BOOT_MEM_MMIO] = "mmio",
	[BOOT_MEM_BAD] = "bad",
	[BOOT_MEM_RESERVED] = "reserved",
	[BOOT_MEM_HV] = "hypervisor",
};

const char *memmap_type_name(u32 type)
{
	if (type >= ARRAY_SIZE(type_names) || !type_names[type])
		return "unknown";
	return type_names[type];
}

bool memmap_type_is_ram(u32 type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_RECLAIMABLE;
}

/* The page-granular [*start, *end) a range stands for; false if it is empty. */
static bool adjusted_bounds(const struct boot_mem_range *r, u64 *start, u64 *end)
{
	u64 last = r->base + r->len - 1; /* validated not to wrap */

	if (r->len == 0)
		return false;
	if (memmap_type_is_ram(r->type)) {
		*start = ALIGN_UP(r->base, PAGE_SIZE);
		*end = ALIGN_DOWN(last + 1, PAGE_SIZE);
	} else {
		*start = ALIGN_DOWN(r->base, PAGE_SIZE);
		*end = ALIGN_DOWN(last, PAGE_SIZE) + PAGE_SIZE;
	}
	return *start < *end;
}

/*
 * Every range must have a known type, and its page-rounded end must fit in
 * 64 bits (the last page of the address space is given up for that).
 */
static int validate(const struct boot_mem_range *in, u32 n, char *err, size_t errlen)
{
	for (u32 i = 0; i < n; i++) {
		const struct boot_mem_range *r = &in[i];
		if (r->type < BOOT_MEM_USABLE || r->type > BOOT_MEM_HV) {
			mmp_snprintf(err, errlen, "memory map entry %u has unknown type %u", i, r->type);
			return -1;
		}
		if (r->len && (r->base + r->len - 1 < r->base ||
			       r->base + r->len - 1 >= ~(u64)0 - PAGE_SIZE + 1)) {
			mmp_snprintf(err, errlen,
				     "memory map entry %u (base 0x%lx, length 0x%lx) runs past the top of "
				     "the address space", i, r->base, r->len);
			return -1;
		}
	}
	return 0;
}

/* The winning type at address a (0: no range covers it). */
static u32 type_at(const struct boot_mem_range *in, u32 n, u64 a)
{
	u32 best = 0;
	u64 s, e;
	for (u32 i = 0; i < n; i++)
		if (adjusted_bounds(&in[i], &s, &e) && s <= a && a < e && in[i].type > best)
			best = in[i].type;
	return best;
}

/* The smallest range boundary strictly above a, or 0 when there is none. */
static u64 next_boundary(const struct boot_mem_range *in, u32 n, u64 a)
{
	u64 next = 0, s, e;
	for (u32 i = 0; i < n; i++) {
		if (!adjusted_bounds(&in[i], &s, &e))
			continue;
		if (s > a && (next == 0 || s < next))
			next = s;
		if (e > a && (next == 0 || e < next))
			next = e;
	}
	return next;
}

/* Appends [start, end) of type t, merging into the last piece when possible. */
static int emit(struct boot_mem_range *out, u32 cap, u32 *count, u64 start, u64 end, u32 t)
{
	struct boot_mem_range *last = *count ? &out[*count - 1] : NULL;

	if (last && last->type == t && last->base + last->len == start) {
		last->len += end - start;
		return 0;
	}
	if (*count == cap)
		return -1;
	out[*count] = (struct boot_mem_range){ .base = start, .len = end - start, .type = t };
	(*count)++;
	return 0;
}

int memmap_normalize(const struct boot_mem_range *in, u32 n,
		     struct boot_mem_range *out, u32 cap, u32 *n_out,
		     char *err, size_t errlen)
{
	u64 a = 0;

	*n_out = 0;
	if (validate(in, n, err, errlen))
		return -1;
	if (type_at(in, n, 0) == 0 && (a = next_boundary(in, n, 0)) == 0)
		return 0; /* nothing but empty ranges */
	for (;;) {
		u64 next = next_boundary(in, n, a); /* a covered piece always has an end */
		u32 t = type_at(in, n, a);
		if (t && emit(out, cap, n_out, a, next, t)) {
			mmp_snprintf(err, errlen, "normalized memory map needs more than %u entries", cap);
			*n_out = 0;
			return -1;
		}
		if (next == 0)
			return 0;
		a = next;
	}
}

/* Scratch copy of the input: normalization cannot work in place. */
static struct boot_mem_range normalize_scratch[BOOT_MAX_MEM];

int boot_info_normalize(struct boot_info *bi, char *err, size_t errlen)
{
	u32 n = bi->mem_count;
	u32 out_n;

	if (n > BOOT_MAX_MEM) {
		mmp_snprintf(err, errlen, "boot_info claims %u memory ranges, the array holds %d", n,
			     BOOT_MAX_MEM);
		return -1;
	}
	for (u32 i = 0; i < n; i++)
		normalize_scratch[i] = bi->mem[i];
	if (memmap_normalize(normalize_scratch, n, bi->mem, BOOT_MAX_MEM, &out_n, err, errlen))
		return -1;
	bi->mem_count = out_n;
	return 0;
}
