/*
 * Benchmarks of the portable memory code, hosted: page allocator operations
 * on a 16 GiB fake machine and normalization of a worst-case firmware map.
 * Prints `bench: <name> <value> <unit>` lines only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "mm/memmap.h"
#include "mm/page_alloc.h"

#define GiB (1ull << 30)
#define FAKE_PHYS (16 * GiB)

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void init_allocator(void *phys)
{
	static const struct boot_mem_range map[] = {
		{ 0x1000, 0x9E000, BOOT_MEM_USABLE }, { 0x100000, 3 * GiB - 0x100000, BOOT_MEM_USABLE },
		{ 4 * GiB, FAKE_PHYS - 4 * GiB, BOOT_MEM_USABLE },
	};
	char err[128];
	if (palloc_init(map, 3, 0, (u64)(uintptr_t)phys, err, sizeof(err))) {
		fprintf(stderr, "bench: palloc_init: %s\n", err);
		exit(1);
	}
}

static void bench_single_pages(void)
{
	enum { N = 1 << 20 };
	static u64 pages[N];
	double t0 = now_ns();
	for (int i = 0; i < N; i++)
		pages[i] = palloc_page();
	double t1 = now_ns();
	for (int i = 0; i < N; i++)
		palloc_free(pages[i], 1);
	double t2 = now_ns();
	printf("bench: palloc_page %.1f ns/op\n", (t1 - t0) / N);
	printf("bench: palloc_free_page %.1f ns/op\n", (t2 - t1) / N);
}

/* 2 MiB runs while every other 4 KiB page of the low 1 GiB is taken: a fragmented start. */
static void bench_2m_runs_past_fragments(void)
{
	enum { HOLES = 1 << 17, RUNS = 2048 };
	static u64 pages[2 * HOLES], runs[RUNS];
	for (int i = 0; i < 2 * HOLES; i++)
		pages[i] = palloc_page();
	for (int i = 0; i < 2 * HOLES; i += 2)
		palloc_free(pages[i], 1);
	double t0 = now_ns();
	for (int i = 0; i < RUNS; i++)
		runs[i] = palloc(512, SZ_2M);
	double t1 = now_ns();
	printf("bench: palloc_2m_fragmented %.1f us/op\n", (t1 - t0) / RUNS / 1e3);
	for (int i = 0; i < RUNS; i++)
		palloc_free(runs[i], 512);
	for (int i = 1; i < 2 * HOLES; i += 2)
		palloc_free(pages[i], 1);
}

/* BOOT_MAX_MEM ranges, shuffled and overlapping: the largest map boot can hand over. */
static void bench_normalize(void)
{
	static struct boot_mem_range in[BOOT_MAX_MEM], out[2 * BOOT_MAX_MEM + 1];
	u32 n;
	char err[128];
	srand(7);
	for (u32 i = 0; i < BOOT_MAX_MEM; i++)
		in[i] = (struct boot_mem_range){ .base = (u64)(rand() % 100000) * 0x1800 + 0x123,
						 .len = (u64)(rand() % 64) * 0x1000 + 0x800,
						 .type = BOOT_MEM_USABLE + (u32)(rand() % 9) };
	double t0 = now_ns();
	if (memmap_normalize(in, BOOT_MAX_MEM, out, 2 * BOOT_MAX_MEM + 1, &n, err, sizeof(err))) {
		fprintf(stderr, "bench: normalize: %s\n", err);
		exit(1);
	}
	printf("bench: memmap_normalize_512 %.2f ms\n", (now_ns() - t0) / 1e6);
}

int main(void)
{
	void *phys = mmap(NULL, FAKE_PHYS, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (phys == MAP_FAILED)
		return 1;
	init_allocator(phys);
	bench_single_pages();
	bench_2m_runs_past_fragments();
	bench_normalize();
	return 0;
}
