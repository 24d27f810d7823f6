/* The reader/writer spinlock of mm/rwlock.h. */
#include "mm/rwlock.h"
#include "mm/platform.h"
#include "mm/spinlock.h"

void rwlock_init_slots(struct rwlock *l, struct rwlock_reader *slots, u32 n)
{
	__atomic_store_n(&l->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->writers_waiting, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->readers_waiting, 0, __ATOMIC_RELAXED);
	l->nslots = n;
	l->slots = slots;
	for (u32 i = 0; i < n; i++)
		__atomic_store_n(&slots[i].active, 0, __ATOMIC_RELAXED);
}

void rwlock_init(struct rwlock *l)
{
	rwlock_init_slots(l, NULL, 0);
}

/* Spinning holders of a preempted lock waste the CPU: yield now and then. */
void spin_wait_step(u32 *spins)
{
	if (++*spins % 64 == 0)
		mmp_yield();
	else
		spin_pause();
}

void spin_lock_yielding(struct spinlock *l)
{
	u32 spins = 0;
	while (!spin_trylock(l))
		spin_wait_step(&spins);
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

/*
 * Slot readers and writers pair up like Dekker's: the reader stores its
 * flag then loads state, the writer stores state then loads the flags, all
 * sequentially consistent: one of them sees the other.
 */
static bool read_trylock_slot(struct rwlock *l, u32 i)
{
	if ((__atomic_load_n(&l->state, __ATOMIC_RELAXED) & RWLOCK_WRITER) ||
	    __atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&l->slots[i].active, 1, __ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&l->state, __ATOMIC_SEQ_CST) & RWLOCK_WRITER))
		return true;
	__atomic_store_n(&l->slots[i].active, 0, __ATOMIC_RELEASE);
	return false;
}

void read_lock_slot(struct rwlock *l, u32 i)
{
	if (read_trylock_slot(l, i))
		return;
	__atomic_fetch_add(&l->readers_waiting, 1, __ATOMIC_RELAXED);
	u32 spins = 0;
	while (!read_trylock_slot(l, i))
		spin_wait_step(&spins);
	__atomic_fetch_sub(&l->readers_waiting, 1, __ATOMIC_RELAXED);
}

void read_unlock_slot(struct rwlock *l, u32 i)
{
	__atomic_store_n(&l->slots[i].active, 0, __ATOMIC_RELEASE);
}

static bool slots_empty(struct rwlock *l)
{
	for (u32 i = 0; i < l->nslots; i++)
		if (__atomic_load_n(&l->slots[i].active, __ATOMIC_SEQ_CST))
			return false;
	return true;
}

static bool take_state(struct rwlock *l)
{
	u32 free = 0;
	return __atomic_compare_exchange_n(&l->state, &free, RWLOCK_WRITER, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_RELAXED);
}

bool write_trylock(struct rwlock *l)
{
	if (!take_state(l))
		return false;
	if (slots_empty(l))
		return true;
	__atomic_store_n(&l->state, 0, __ATOMIC_RELEASE);
	return false;
}

void write_lock(struct rwlock *l)
{
	if (write_trylock(l))
		return;
	__atomic_fetch_add(&l->writers_waiting, 1, __ATOMIC_RELAXED);
	u32 spins = 0;
	while (!take_state(l))
		spin_wait_step(&spins);
	/* new slot readers now back off; wait for those inside to leave */
	while (!slots_empty(l))
		spin_wait_step(&spins);
	__atomic_fetch_sub(&l->writers_waiting, 1, __ATOMIC_RELAXED);
}

void write_unlock(struct rwlock *l)
{
	__atomic_store_n(&l->state, 0, __ATOMIC_RELEASE);
}
