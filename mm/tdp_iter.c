/* The table walker (mm/tdp_iter.h). */
#include "mm/tdp_iter.h"
#include "mm/platform.h"

static void read_current(struct tdp_iter *it)
{
	it->sptep = &it->table[it->level][spte_index(it->gfn, it->level)];
	it->old = spte_read(it->sptep);
}

/* Position on the top-level entry covering `gfn`. */
static void position_at_top(struct tdp_iter *it, u64 gfn)
{
	u64 top_end = it->top_base + spte_level_pages(it->top_level + 1);
	it->level = it->top_level;
	it->gfn = ALIGN_DOWN(gfn, spte_level_pages(it->level));
	it->valid = gfn < it->end && gfn < top_end && gfn >= it->top_base;
	if (it->valid)
		read_current(it);
}

void tdp_iter_start(struct tdp_iter *it, const struct spte_format *fmt, u64 *table, int level,
		    u64 base, u64 start, u64 end, int min_level)
{
	it->fmt = fmt;
	it->table[level] = table;
	it->top_level = level;
	it->top_base = base;
	it->min_level = min_level;
	it->start = MAX(start, base);
	it->end = end;
	it->yielded_gfn = it->start;
	position_at_top(it, it->start);
}

static bool step_down(struct tdp_iter *it)
{
	if (it->level <= it->min_level || !spte_present(it->fmt, it->old) ||
	    spte_leaf(it->fmt, it->old, it->level))
		return false;
	u64 *child = mmp_phys_to_virt(spte_addr(it->fmt, it->old));
	it->level--;
	it->table[it->level] = child;
	it->gfn = MAX(it->gfn, ALIGN_DOWN(it->start, spte_level_pages(it->level)));
	read_current(it);
	return true;
}

/* To the next entry at this level; up while we ran off the end of a table. */
static void step_side(struct tdp_iter *it)
{
	it->gfn = ALIGN_DOWN(it->gfn, spte_level_pages(it->level)) + spte_level_pages(it->level);
	if (it->gfn >= it->end) {
		it->valid = false;
		return;
	}
	/* Index 0 means we crossed into the next table: its parent's next entry starts here. */
	while (spte_index(it->gfn, it->level) == 0) {
		if (it->level == it->top_level) {
			it->valid = false;
			return;
		}
		it->level++;
	}
	read_current(it);
}

void tdp_iter_next(struct tdp_iter *it)
{
	if (!step_down(it))
		step_side(it);
}

void tdp_iter_restart(struct tdp_iter *it)
{
	u64 gfn = it->gfn;
	int level = it->level;
	it->start = MAX(it->start, gfn); /* everything before gfn is done */
	position_at_top(it, gfn);
	while (it->valid && it->level > level && step_down(it))
		;
	it->yielded_gfn = gfn;
}
