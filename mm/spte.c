/* Sanity checks on an entry format a backend filled (mm/spte.h). */
#include "mm/spte.h"

const char *spte_format_check(const struct spte_format *f)
{
	if (!f)
		return "no format";
	if (!f->present_mask || !f->addr_mask || !f->write_mask)
		return "present, address and write masks must be set";
	if ((f->addr_mask & (PAGE_SIZE - 1)) || (f->present_mask & f->addr_mask))
		return "address mask overlaps the low 12 bits or the present bits";
	if (f->max_leaf_level < SPTE_LEVEL_4K || f->max_leaf_level > SPTE_LEVEL_1G)
		return "max_leaf_level must be 1, 2 or 3";
	if (f->max_leaf_level > SPTE_LEVEL_4K && !f->huge_mask)
		return "huge leaves need a huge_mask";
	if (f->mmio_gen_bits < 1 || f->mmio_gen_bits > 32)
		return "mmio_gen_bits must be 1..32";
	if (!f->make_leaf || !f->make_table || !f->leaf_perm || !f->make_mmio ||
	    !f->is_mmio || !f->mmio_gen)
		return "a function is missing";
	u64 marker = f->make_mmio((1ull << f->mmio_gen_bits) - 1);
	if (spte_present(f, marker) || marker == 0 || !f->is_mmio(marker))
		return "an MMIO marker must be non-zero, not present and recognized";
	if (f->mmio_gen(marker) != (1ull << f->mmio_gen_bits) - 1)
		return "an MMIO marker loses generation bits";
	u64 leaf = f->make_leaf(1, SPTE_LEVEL_4K, MM_READ | MM_WRITE | MM_EXEC, SPTE_MT_WB);
	if (!spte_present(f, leaf) || f->is_mmio(leaf) || spte_pfn(f, leaf) != 1)
		return "a leaf must be present, not a marker, and keep its pfn";
	if ((f->leaf_perm(leaf) & (MM_READ | MM_WRITE | MM_EXEC)) != (MM_READ | MM_WRITE | MM_EXEC))
		return "leaf_perm does not report the permissions make_leaf was given";
	u64 table = f->make_table(PAGE_SIZE);
	if (!spte_present(f, table) || f->is_mmio(table) || spte_addr(f, table) != PAGE_SIZE)
		return "a table entry must be present and keep its address";
	return NULL;
}
