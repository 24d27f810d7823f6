/*
 * The EPT entry format handed to mm/ (SDM vol. 3, 29.3.2), and the EPT pointer.
 * Permissions sit in bits 0-2 in the same order as enum mm_access, a leaf's
 * memory type in bits 5:3 with "ignore PAT" (bit 6), huge leaves have bit 7.
 */
#include "vmx/ept.h"
#include "vmx/caps.h"

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_MT_UC 0ull
#define EPT_MT_WB 6ull
#define EPT_IGNORE_PAT (1ull << 6)
#define EPT_HUGE (1ull << 7)
#define EPT_ACCESSED (1ull << 8)
#define EPT_DIRTY (1ull << 9)
#define EPT_ADDR_MASK 0x000ffffffffff000ull

/*
 * An MMIO marker: R, W and X clear (so the CPU ignores every other bit and an
 * access is an EPT violation), bit 62 set to tell it from an empty entry, and
 * the generation in bits 12-43 (where a present entry keeps its address).
 */
#define EPT_MMIO_FLAG (1ull << 62)
#define EPT_MMIO_GEN_SHIFT 12
#define EPT_MMIO_GEN_BITS 32

/* EPTP: memory type WB (bits 2:0), 4-level walk (bits 5:3 = 3), A/D enable (bit 6). */
#define EPTP_WB 6ull
#define EPTP_WALK4 (3ull << 3)
#define EPTP_AD (1ull << 6)

static u64 ept_make_leaf(u64 pfn, int level, unsigned perm, enum spte_memtype type)
{
	u64 e = (pfn << PAGE_SHIFT) & EPT_ADDR_MASK;
	/* EPT cannot express write-only: W without R is a misconfiguration. */
	if (perm & MM_WRITE)
		perm |= MM_READ;
	e |= perm & EPT_RWX; /* enum mm_access uses the EPT bit positions */
	e |= (type == SPTE_MT_WB ? EPT_MT_WB : EPT_MT_UC) << EPT_MT_SHIFT | EPT_IGNORE_PAT;
	if (level > SPTE_LEVEL_4K)
		e |= EPT_HUGE;
	return e;
}

static u64 ept_make_table(u64 pa)
{
	return (pa & EPT_ADDR_MASK) | EPT_RWX;
}

static unsigned ept_leaf_perm(u64 spte)
{
	return (unsigned)(spte & EPT_RWX);
}

static u64 ept_make_mmio(u64 gen)
{
	u64 bits = gen & ((1ull << EPT_MMIO_GEN_BITS) - 1);
	return EPT_MMIO_FLAG | bits << EPT_MMIO_GEN_SHIFT;
}

static bool ept_is_mmio(u64 spte)
{
	return !(spte & EPT_RWX) && (spte & EPT_MMIO_FLAG);
}

static u64 ept_mmio_gen(u64 spte)
{
	return (spte >> EPT_MMIO_GEN_SHIFT) & ((1ull << EPT_MMIO_GEN_BITS) - 1);
}

/* Not const: the accessed/dirty masks and the largest leaf follow the CPU (ept_format_setup). */
struct spte_format ept_format = {
	.name = "EPT",
	.present_mask = EPT_RWX,
	.huge_mask = EPT_HUGE,
	.addr_mask = EPT_ADDR_MASK,
	.write_mask = EPT_W,
	.max_leaf_level = SPTE_LEVEL_4K,
	.mmio_gen_bits = EPT_MMIO_GEN_BITS,
	.make_leaf = ept_make_leaf,
	.make_table = ept_make_table,
	.leaf_perm = ept_leaf_perm,
	.make_mmio = ept_make_mmio,
	.is_mmio = ept_is_mmio,
	.mmio_gen = ept_mmio_gen,
};

void ept_format_setup(bool ad, bool huge_2m, bool huge_1g)
{
	ept_format.accessed_mask = ad ? EPT_ACCESSED : 0;
	ept_format.dirty_mask = ad ? EPT_DIRTY : 0;
	ept_format.max_leaf_level = huge_1g && huge_2m ? SPTE_LEVEL_1G :
				    huge_2m ? SPTE_LEVEL_2M : SPTE_LEVEL_4K;
}

u64 ept_pointer(u64 root_pa, bool ad)
{
	return (root_pa & EPT_ADDR_MASK) | EPTP_WB | EPTP_WALK4 | (ad ? EPTP_AD : 0);
}
