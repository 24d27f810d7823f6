/*
 * Two entry formats for host tests, written from the SDM/APM descriptions:
 * EPT-like (R/W/X in bits 0-2, memory type 5:3, ignore-PAT 6, PS 7, A 8,
 * D 9) and NPT-like (P, R/W, U/S in bits 0-2 on every level, PS 7, A 5,
 * D 6, NX 63). Markers are non-present with bit 62 set and the generation in
 * bits 52-61 (EPT) or 1-11 cleared of P (NPT: bits 52-61 too).
 */
#include "tests/mm/host.h"

int test_mmio_gen_bits = 8;

#define ADDR_MASK 0x000ffffffffff000ull
#define MARKER_BIT (1ull << 62)
#define GEN_SHIFT 52

static u64 marker(u64 gen)
{
	return MARKER_BIT | ((gen & ((1ull << test_mmio_gen_bits) - 1)) << GEN_SHIFT);
}

static bool is_marker(u64 spte)
{
	return (spte & (MARKER_BIT | 7)) == MARKER_BIT;
}

static u64 marker_gen(u64 spte)
{
	return (spte >> GEN_SHIFT) & ((1ull << test_mmio_gen_bits) - 1);
}

/* ---- EPT-like ---- */
static u64 ept_leaf(u64 pfn, int level, unsigned perm, enum spte_memtype type)
{
	u64 e = (pfn << PAGE_SHIFT) | (perm & 7);  /* MM_READ/WRITE/EXEC = bits 0/1/2 */
	e |= (type == SPTE_MT_WB ? 6ull : 0ull) << 3 | (1ull << 6);
	if (level > SPTE_LEVEL_4K)
		e |= 1ull << 7;
	return e;
}

static u64 ept_table(u64 pa)
{
	return pa | 7;
}

static unsigned ept_perm(u64 spte)
{
	return spte & 7;
}

struct spte_format test_ept = {
	.name = "test-EPT",
	.present_mask = 7,
	.huge_mask = 1ull << 7,
	.addr_mask = ADDR_MASK,
	.write_mask = 1ull << 1,
	.accessed_mask = 1ull << 8,
	.dirty_mask = 1ull << 9,
	.max_leaf_level = SPTE_LEVEL_1G,
	.mmio_gen_bits = 8,
	.make_leaf = ept_leaf,
	.make_table = ept_table,
	.leaf_perm = ept_perm,
	.make_mmio = marker,
	.is_mmio = is_marker,
	.mmio_gen = marker_gen,
};

/* ---- NPT-like ---- */
#define NPT_P 1ull
#define NPT_RW 2ull
#define NPT_US 4ull
#define NPT_NX (1ull << 63)

static u64 npt_leaf(u64 pfn, int level, unsigned perm, enum spte_memtype type)
{
	u64 e = (pfn << PAGE_SHIFT) | NPT_P | NPT_US;
	if (perm & MM_WRITE)
		e |= NPT_RW;
	if (!(perm & MM_EXEC))
		e |= NPT_NX;
	if (type == SPTE_MT_UC)
		e |= 1ull << 4; /* PCD */
	if (level > SPTE_LEVEL_4K)
		e |= 1ull << 7;
	return e;
}

static u64 npt_table(u64 pa)
{
	return pa | NPT_P | NPT_RW | NPT_US;
}

static unsigned npt_perm(u64 spte)
{
	return MM_READ | (spte & NPT_RW ? MM_WRITE : 0) | (spte & NPT_NX ? 0 : MM_EXEC);
}

bool test_npt_user_ok(u64 spte)
{
	return (spte & NPT_US) != 0;
}

struct spte_format test_npt = {
	.name = "test-NPT",
	.present_mask = NPT_P,
	.huge_mask = 1ull << 7,
	.addr_mask = ADDR_MASK,
	.write_mask = NPT_RW,
	.accessed_mask = 1ull << 5,
	.dirty_mask = 1ull << 6,
	.max_leaf_level = SPTE_LEVEL_1G,
	.mmio_gen_bits = 8,
	.make_leaf = npt_leaf,
	.make_table = npt_table,
	.leaf_perm = npt_perm,
	.make_mmio = marker,
	.is_mmio = is_marker,
	.mmio_gen = marker_gen,
};
