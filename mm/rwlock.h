/*
 * mmu_lock: a reader/writer spinlock that tells its holder when someone is
 * waiting ("needbreak"), so a long operation can drop it on purpose.
 * Writers are preferred: once a writer waits, new readers wait too, so a
 * stream of faults cannot starve an invalidation. Not recursive.
 */
#ifndef MM_RWLOCK_H
#define MM_RWLOCK_H

#include "types.h"

/*
 * A reader slot of its own (one per vCPU): a reader that has one marks only
 * its own cache line, so parallel readers share no written line; a writer
 * sets RWLOCK_WRITER and then waits for every slot to be empty.
 */
struct rwlock_reader {
	u32 active;
	u8 pad[60];
} __attribute__((aligned(64)));

struct rwlock {
	u32 state;           /* RWLOCK_WRITER, or the number of readers holding it without a slot */
	u32 writers_waiting;
	u32 readers_waiting;
	u32 nslots;
	struct rwlock_reader *slots;
};

#define RWLOCK_WRITER (1u << 31)

void rwlock_init(struct rwlock *l);
/* The same, with `n` reader slots for read_lock_slot() (zeroed here). */
void rwlock_init_slots(struct rwlock *l, struct rwlock_reader *slots, u32 n);
/* A reader without a slot: one shared counter. */
void read_lock(struct rwlock *l);
void read_unlock(struct rwlock *l);
/* A reader with slot `i` (< n of rwlock_init_slots), which only it uses. */
void read_lock_slot(struct rwlock *l, u32 i);
void read_unlock_slot(struct rwlock *l, u32 i);
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

struct spinlock;
/* For a spinlock whose holder may run long (yielding zaps, grace periods): waiters yield. */
void spin_lock_yielding(struct spinlock *l);

#endif
