/*
 * A minimal test-and-test-and-set spinlock, portable C11 atomics, usable in
 * the kernel and hosted (where threads stand in for CPUs).
 * Not for interrupt handlers: the holder never disables interrupts.
 */
#ifndef MM_SPINLOCK_H
#define MM_SPINLOCK_H

#include "types.h"

struct spinlock {
	u32 locked; /* 0 = free, 1 = held; only touched with __atomic builtins */
};

#define SPINLOCK_INIT { 0 }

/* Tell the CPU we are spinning: saves power and helps the sibling hyperthread. */
static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#endif
}

static inline void spin_init(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
}

static inline bool spin_trylock(struct spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

/* Spin on a plain load so waiters do not bounce the cache line with writes. */
static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			spin_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#endif
