/*
 * The one walker of second-level tables. Fault, zap, NX recovery, dirty-log
 * write protection and freeing all go through it.
 *
 * It visits, in address order, every entry of a table tree that covers part
 * of [start, end): an entry first, then (if it is a present table and above
 * min_level) the entries under it: step down, step to the side, step up.
 * The caller may change the current entry and sets it->old to what it wrote;
 * tdp_iter_next() then steps down only into a present table.
 * After the lock was dropped, tdp_iter_restart() walks down again from the
 * top to where it stopped: work already done is not redone.
 */
#ifndef MM_TDP_ITER_H
#define MM_TDP_ITER_H

#include "mm/spte.h"

struct tdp_iter {
	const struct spte_format *fmt;
	u64 *table[SPTE_ROOT_LEVEL + 1]; /* table[l]: the table at level l on the path */
	int top_level;
	u64 top_base;    /* first gfn the top table covers */
	int min_level;
	u64 start, end;  /* gfn range */
	/* The current entry: */
	bool valid;      /* false once the walk is over */
	int level;
	u64 gfn;         /* first gfn the entry covers */
	u64 *sptep;
	u64 old;         /* its value when read */
	u64 yielded_gfn; /* where the last lock break happened (forward progress) */
};

static inline u64 spte_read(const u64 *sptep)
{
	return __atomic_load_n(sptep, __ATOMIC_ACQUIRE);
}

/* Walk the tree under `table` (at `level`, covering gfns from `base`). */
void tdp_iter_start(struct tdp_iter *it, const struct spte_format *fmt, u64 *table, int level,
		    u64 base, u64 start, u64 end, int min_level);
void tdp_iter_next(struct tdp_iter *it);
/* Continue from it->gfn by walking down again from the top table. */
void tdp_iter_restart(struct tdp_iter *it);

/* True when the current entry lies entirely inside [start, end). */
static inline bool tdp_iter_covered(const struct tdp_iter *it)
{
	return it->gfn >= it->start && it->gfn + spte_level_pages(it->level) <= it->end;
}

#endif
