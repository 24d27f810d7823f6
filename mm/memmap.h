/*
 * Normalizing the firmware's memory map. Firmware maps come unsorted, with
 * overlaps and odd sizes; everything after boot wants sorted, disjoint,
 * page-granular ranges. The rules:
 * - where ranges overlap, the type later in enum boot_mem_type wins;
 * - free RAM (USABLE, RECLAIMABLE) shrinks inward to page boundaries, every
 *   other type grows outward, so a partial page is never handed out;
 * - empty ranges vanish and touching ranges of equal type merge.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include "boot_info.h"

/*
 * Writes the normalized form of in[0..n) to out[0..cap), sets *n_out.
 * in and out must not overlap. Returns 0, or -1 with a message in err
 * (unknown type, a range that wraps past 2^64, or more than cap results).
 */
int memmap_normalize(const struct boot_mem_range *in, u32 n,
		     struct boot_mem_range *out, u32 cap, u32 *n_out,
		     char *err, size_t errlen);

/* Normalizes bi->mem[0..mem_count) in place (one boot CPU, before SMP). */
int boot_info_normalize(struct boot_info *bi, char *err, size_t errlen);

/* Short name of a type for logs ("usable", "acpi-nvs", ...); "unknown" otherwise. */
const char *memmap_type_name(u32 type);

/* True for the types that may become free RAM: USABLE and RECLAIMABLE. */
bool memmap_type_is_ram(u32 type);

#endif
