/* Epoch read sections and grace periods (mm/epoch.h). */
#include "mm/epoch.h"
#include "mm/rwlock.h"
#include "kstring.h"

void epoch_init(struct epoch *e, struct epoch_reader *readers, u32 nreaders)
{
	memset(readers, 0, sizeof(*readers) * nreaders);
	e->readers = readers;
	e->nreaders = nreaders;
	__atomic_store_n(&e->now, 1, __ATOMIC_RELAXED);
}

/*
 * The store of `entered` must be visible before the reader loads any
 * protected pointer (a store-load order): both are sequentially consistent
 * (callers load protected pointers with __ATOMIC_SEQ_CST), like the
 * writer's publish and its increment of `now`.
 */
void epoch_enter(struct epoch *e, struct epoch_reader *r)
{
	if (r->nesting++)
		return;
	__atomic_store_n(&r->entered, __atomic_load_n(&e->now, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
}

void epoch_leave(struct epoch_reader *r)
{
	if (--r->nesting)
		return;
	__atomic_store_n(&r->entered, 0, __ATOMIC_RELEASE);
}

void epoch_synchronize(struct epoch *e)
{
	u64 target = __atomic_add_fetch(&e->now, 1, __ATOMIC_SEQ_CST);
	for (u32 i = 0; i < e->nreaders; i++) {
		u32 spins = 0;
		for (;;) {
			u64 in = __atomic_load_n(&e->readers[i].entered, __ATOMIC_ACQUIRE);
			if (in == 0 || in >= target)
				break;
			spin_wait_step(&spins);
		}
	}
}
