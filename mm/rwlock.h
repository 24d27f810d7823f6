/*
 * mmu_lock: a reader/writer spinlock that tells its holder when someone is
 * waiting ("needbreak"), so a long operation can drop it on purpose.
 * Writers are preferred: once a writer waits, new readers wait too, so a
 * stream of faults cannot starve an invalidation. Not recursive.
 */
#ifndef MM_RWLOCK_H
#define MM_RWLOCK_H

#include "types.h"

struct rwlock {
	u32 state;           /* RWLOCK_WRITER, or the number of readers holding it */
	u32 writers_waiting;
	u32 readers_waiting;
};

#define RWLOCK_WRITER (1u << 31)

void rwlock_init(struct rwlock *l);
void read_lock(struct rwlock *l);
void read_unlock(struct rwlock *l);
void write_lock(struct rwlock *l);
void write_unlock(struct rwlock *l);
bool write_trylock(struct rwlock *l);

/* For the holder: true when another thread is waiting for the lock. */
static inline bool rwlock_needbreak(const struct rwlock *l)
{
	return __atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED) |
	       __atomic_load_n(&l->readers_waiting, __ATOMIC_RELAXED);
}

static inline bool rwlock_write_held(const struct rwlock *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED) == RWLOCK_WRITER;
}

/* One step of a spin-wait: pause, and every so often let other work run. */
void spin_wait_step(u32 *spins);

#endif
