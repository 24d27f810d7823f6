/* The hosted mm/platform.h: C heap pages, poisoned quarantine, counted flushes,
 * libc's formatter. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/mm/host.h"

void (*host_flush_hook)(void *owner);
void (*host_yield_hook)(void);
u32 host_yield_every;
bool host_check_poison = true;

static u64 live_pages, flush_count;
static u32 yield_calls;

/* Freed pages stay poisoned here for a while before going back to the heap. */
#define QUARANTINE 4096
static struct { void *va; u64 npages; } quarantine[QUARANTINE];
static u32 q_next;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Without poisoning (benchmarks), single pages are kept for reuse like the
 * hypervisor's page allocator does: glibc's free() hands heap memory back
 * with madvise, and the TLB shootdowns that follow were most of a zap's
 * time in the profile (the MMU's own work is what bench-mm measures).
 */
#define POOL_MAX (1u << 20)
static void **pool;
static u32 pool_count;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void *pool_get(void)
{
	void *va = NULL;
	pthread_mutex_lock(&pool_lock);
	if (pool_count)
		va = pool[--pool_count];
	pthread_mutex_unlock(&pool_lock);
	return va;
}

static bool pool_put(void *va)
{
	bool kept = false;
	pthread_mutex_lock(&pool_lock);
	if (!pool)
		pool = malloc(POOL_MAX * sizeof(*pool));
	if (pool && pool_count < POOL_MAX) {
		pool[pool_count++] = va;
		kept = true;
	}
	pthread_mutex_unlock(&pool_lock);
	return kept;
}

void *mmp_pages_alloc(u64 npages)
{
	void *va = npages == 1 && !host_check_poison ? pool_get() : NULL;
	if (va) {
		memset(va, 0, PAGE_SIZE);
		__atomic_fetch_add(&live_pages, 1, __ATOMIC_RELAXED);
		return va;
	}
	va = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	if (!va)
		return NULL;
	memset(va, 0, npages * PAGE_SIZE);
	__atomic_fetch_add(&live_pages, npages, __ATOMIC_RELAXED);
	return va;
}

void mmp_pages_free(void *va, u64 npages)
{
	if (!va)
		return;
	__atomic_fetch_sub(&live_pages, npages, __ATOMIC_RELAXED);
	if (!host_check_poison) {
		if (npages != 1 || !pool_put(va))
			free(va);
		return;
	}
	memset(va, 0x5a, npages * PAGE_SIZE);
	pthread_mutex_lock(&q_lock);
	void *old = quarantine[q_next].va;
	quarantine[q_next].va = va;
	quarantine[q_next].npages = npages;
	q_next = (q_next + 1) % QUARANTINE;
	pthread_mutex_unlock(&q_lock);
	free(old);
}

void host_quarantine_drain(void)
{
	pthread_mutex_lock(&q_lock);
	for (u32 i = 0; i < QUARANTINE; i++) {
		free(quarantine[i].va);
		quarantine[i].va = NULL;
	}
	pthread_mutex_unlock(&q_lock);
}

bool host_page_poisoned(const void *page)
{
	const u64 *w = page;
	return w[1] == POISON && w[511] == POISON;
}

u64 host_pages_live(void)
{
	return __atomic_load_n(&live_pages, __ATOMIC_RELAXED);
}

u64 host_flushes(void)
{
	return __atomic_load_n(&flush_count, __ATOMIC_RELAXED);
}

u64 mmp_virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va;
}

void *mmp_phys_to_virt(u64 pa)
{
	return (void *)(uintptr_t)pa;
}

void mmp_flush_remote_tlbs(void *owner)
{
	__atomic_fetch_add(&flush_count, 1, __ATOMIC_RELAXED);
	if (host_flush_hook)
		host_flush_hook(owner);
}

bool mmp_should_yield(void)
{
	u32 every = __atomic_load_n(&host_yield_every, __ATOMIC_RELAXED);
	return every && __atomic_add_fetch(&yield_calls, 1, __ATOMIC_RELAXED) % every == 0;
}

void mmp_yield(void)
{
	void (*hook)(void) = __atomic_load_n(&host_yield_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook();
	sched_yield();
}

u64 mmp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int mmp_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
