/* The reader/writer spinlock of mm/rwlock.h. */
#include "mm/rwlock.h"
#include "mm/platform.h"
#include "mm/spinlock.h"

void rwlock_init(struct rwlock *l)
{
	__atomic_store_n(&l->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->writers_waiting, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->readers_waiting, 0, __ATOMIC_RELAXED);
}

/* Spinning holders of a preempted lock waste the CPU: yield now and then. */
void spin_wait_step(u32 *spins)
{
	if (++*spins % 64 == 0)
		mmp_yield();
	else
		spin_pause();
}

static bool read_trylock(struct rwlock *l)
{
	u32 s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
	if ((s & RWLOCK_WRITER) || __atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED))
		return false;
	return __atomic_compare_exchange_n(&l->state, &s, s + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void read_lock(struct rwlock *l)
{
	if (read_trylock(l))
		return;
	__atomic_fetch_add(&l->readers_waiting, 1, __ATOMIC_RELAXED);
	u32 spins = 0;
	while (!read_trylock(l))
		spin_wait_step(&spins);
	__atomic_fetch_sub(&l->readers_waiting, 1, __ATOMIC_RELAXED);
}

void read_unlock(struct rwlock *l)
{
	__atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);
}

bool write_trylock(struct rwlock *l)
{
	u32 free = 0;
	return __atomic_compare_exchange_n(&l->state, &free, RWLOCK_WRITER, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void write_lock(struct rwlock *l)
{
	if (write_trylock(l))
		return;
	__atomic_fetch_add(&l->writers_waiting, 1, __ATOMIC_RELAXED);
	u32 spins = 0;
	while (!write_trylock(l))
		spin_wait_step(&spins);
	__atomic_fetch_sub(&l->writers_waiting, 1, __ATOMIC_RELAXED);
}

void write_unlock(struct rwlock *l)
{
	__atomic_store_n(&l->state, 0, __ATOMIC_RELEASE);
}
