/*
 * The NPT entry format for mm/ (mm/spte.h). NPT entries are ordinary x86
 * long-mode page-table entries, walked as user-mode accesses: every level
 * carries U/S, and a table entry grants everything so only leaves decide.
 */
#include "svm/svm.h"
#include "mm/spte.h"

#define NPT_P    (1ull << 0)
#define NPT_RW   (1ull << 1)
#define NPT_US   (1ull << 2)
#define NPT_PWT  (1ull << 3)
#define NPT_PCD  (1ull << 4)
#define NPT_A    (1ull << 5)
#define NPT_D    (1ull << 6)
#define NPT_PS   (1ull << 7)
#define NPT_NX   (1ull << 63)
#define NPT_ADDR 0x000ffffffffff000ull

/* A marker is non-present with this software bit set and the generation in bits 12..43. */
#define NPT_MMIO_TAG (1ull << 62)
#define NPT_MMIO_GEN_BITS 32
#define NPT_MMIO_GEN_SHIFT 12
#define NPT_MMIO_GEN_MASK ((1ull << NPT_MMIO_GEN_BITS) - 1)

static u64 npt_make_leaf(u64 pfn, int level, unsigned perm, enum spte_memtype type)
{
	u64 e = (pfn << PAGE_SHIFT) | NPT_P | NPT_US;

	if (perm & MM_WRITE)
		e |= NPT_RW;
	if (!(perm & MM_EXEC))
		e |= NPT_NX; /* valid because svm_enable_cpu() turns on EFER.NXE */
	if (level > SPTE_LEVEL_4K)
		e |= NPT_PS;
	if (type == SPTE_MT_UC)
		e |= NPT_PCD | NPT_PWT;
	return e;
}

static u64 npt_make_table(u64 pa)
{
	return pa | NPT_P | NPT_RW | NPT_US;
}

static unsigned npt_leaf_perm(u64 spte)
{
	return MM_READ | ((spte & NPT_RW) ? MM_WRITE : 0) | ((spte & NPT_NX) ? 0 : MM_EXEC);
}

static u64 npt_make_mmio(u64 gen)
{
	return NPT_MMIO_TAG | ((gen & NPT_MMIO_GEN_MASK) << NPT_MMIO_GEN_SHIFT);
}

static bool npt_is_mmio(u64 spte)
{
	return !(spte & NPT_P) && (spte & NPT_MMIO_TAG);
}

static u64 npt_mmio_gen(u64 spte)
{
	return (spte >> NPT_MMIO_GEN_SHIFT) & NPT_MMIO_GEN_MASK;
}

const struct spte_format npt_format = {
	.name = "NPT",
	.present_mask = NPT_P,
	.huge_mask = NPT_PS,
	.addr_mask = NPT_ADDR,
	.write_mask = NPT_RW,
	.accessed_mask = NPT_A,
	.dirty_mask = NPT_D,
	.max_leaf_level = SPTE_LEVEL_2M, /* 1G nested pages need Page1GB, which qemu64 lacks */
	.mmio_gen_bits = NPT_MMIO_GEN_BITS,
	.make_leaf = npt_make_leaf,
	.make_table = npt_make_table,
	.leaf_perm = npt_leaf_perm,
	.make_mmio = npt_make_mmio,
	.is_mmio = npt_is_mmio,
	.mmio_gen = npt_mmio_gen,
};
