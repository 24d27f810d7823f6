/*
 * The page allocator against synthetic (and adversarial) memory maps. Fake
 * physical memory is a big lazily-backed host mapping: the allocator only
 * ever writes its bitmaps there, at physical address + offset.
 */
#include "tests/unit/unit.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/memmap.h"
#include "mm/page_alloc.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define FAKE_PHYS_SIZE (8 * GiB)

static u8 *fake_phys;
static struct boot_mem_range norm[64];
static u32 nnorm;
static char err[160];

static int setup_phys(void **state)
{
	fake_phys = mmap(NULL, FAKE_PHYS_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return fake_phys == MAP_FAILED ? -1 : 0;
}

static int teardown_phys(void **state)
{
	munmap(fake_phys, FAKE_PHYS_SIZE);
	return 0;
}

/* Normalizes a raw map (as the kernel does) and builds the allocator on it. */
static int init_raw(const struct boot_mem_range *raw, u32 n, u32 flags)
{
	assert_int_equal(memmap_normalize(raw, n, norm, ARRAY_SIZE(norm), &nnorm, err, sizeof(err)), 0);
	return palloc_init(norm, nnorm, flags, (u64)(uintptr_t)fake_phys, err, sizeof(err));
}

static struct palloc_stats stats(void)
{
	struct palloc_stats s;
	palloc_get_stats(&s);
	return s;
}

/* The normalized type of the page at pa (0: a hole). */
static u32 type_of(u64 pa)
{
	for (u32 i = 0; i < nnorm; i++)
		if (norm[i].base <= pa && pa < norm[i].base + norm[i].len)
			return norm[i].type;
	return 0;
}

static bool in_meta(u64 pa)
{
	struct palloc_stats s = stats();
	return pa >= s.meta_base && pa < s.meta_base + s.meta_pages * PAGE_SIZE;
}

/* Takes single pages until none is left; checks each; returns how many. */
static u64 drain_checking(u32 allowed_type_a, u32 allowed_type_b)
{
	u64 count = 0, pa;
	while ((pa = palloc_page()) != 0) {
		u32 t = type_of(pa);
		assert_true(t == allowed_type_a || t == allowed_type_b);
		assert_false(in_meta(pa));
		assert_int_equal(pa % PAGE_SIZE, 0);
		count++;
	}
	return count;
}

static const struct boot_mem_range pc_map[] = {
	{ 0, 640 * KiB, BOOT_MEM_USABLE },
	{ 640 * KiB, 384 * KiB, BOOT_MEM_RESERVED },
	{ MiB, 63 * MiB, BOOT_MEM_USABLE },
};

static void test_pc_map_counts_and_metadata(void **state)
{
	assert_int_equal(init_raw(pc_map, 3, 0), 0);
	struct palloc_stats s = stats();
	assert_int_equal(s.meta_base, MiB); /* first free place at or above 1 MiB */
	assert_int_equal(s.meta_pages, 1);  /* 2 x 16384 bits */
	/* 160 low pages minus page 0, 16128 high pages minus the bitmap page */
	assert_int_equal(s.total_pages, 159 + 16128 - 1);
	assert_int_equal(palloc_free_pages(), s.total_pages);
}

static void test_page_zero_is_never_handed_out(void **state)
{
	const struct boot_mem_range tiny[] = { { 0, 3 * PAGE_SIZE, BOOT_MEM_USABLE } };
	assert_int_equal(init_raw(tiny, 1, 0), 0);
	assert_int_equal(stats().meta_base, PAGE_SIZE); /* nothing above 1 MiB: falls back low */
	assert_int_equal(palloc_page(), 2 * PAGE_SIZE);
	assert_int_equal(palloc_page(), 0);
	assert_int_equal(stats().failures, 1);
}

static void test_reserved_inside_usable_is_never_handed_out(void **state)
{
	const struct boot_mem_range raw[] = {
		{ 0x200000, 0x400000, BOOT_MEM_USABLE },
		{ 0x300800, 0x1000, BOOT_MEM_RESERVED }, /* odd: covers two pages */
		{ 0x500000, 0x10000, BOOT_MEM_HV },
	};
	assert_int_equal(init_raw(raw, 3, 0), 0);
	u64 got = drain_checking(BOOT_MEM_USABLE, BOOT_MEM_USABLE);
	assert_int_equal(got, 1024 - 2 - 16 - 1); /* minus reserved, hypervisor, bitmap */
	assert_int_equal(palloc_free_pages(), 0);
}

static void test_firmware_acpi_mmio_never_handed_out(void **state)
{
	const struct boot_mem_range raw[] = {
		{ 0x400000, 0x100000, BOOT_MEM_FW_RUNTIME }, /* unsorted, overlapping usable */
		{ 0x100000, 0x800000, BOOT_MEM_USABLE },
		{ 0x600000, 0x10000, BOOT_MEM_ACPI_RECLAIM },
		{ 0x610000, 0x10000, BOOT_MEM_ACPI_NVS },
		{ 0x700000, 0x1000, BOOT_MEM_MMIO },
		{ 0x800000, 0x1000, BOOT_MEM_BAD },
		{ 0x900000, 0x100000, BOOT_MEM_RECLAIMABLE },
	};
	assert_int_equal(init_raw(raw, ARRAY_SIZE(raw), 0), 0);
	assert_int_equal(drain_checking(BOOT_MEM_USABLE, BOOT_MEM_USABLE), 2048 - 256 - 32 - 2 - 1);
}

static void test_reclaimable_only_when_asked(void **state)
{
	const struct boot_mem_range raw[] = {
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
		{ 0x200000, 0x100000, BOOT_MEM_RECLAIMABLE },
	};
	assert_int_equal(init_raw(raw, 2, 0), 0);
	assert_int_equal(stats().total_pages, 255);
	assert_int_equal(init_raw(raw, 2, PALLOC_USE_RECLAIMABLE), 0);
	assert_int_equal(stats().total_pages, 511);
	assert_int_equal(drain_checking(BOOT_MEM_USABLE, BOOT_MEM_RECLAIMABLE), 511);
}

static void test_exhaustion_then_free_and_reuse(void **state)
{
	assert_int_equal(init_raw(pc_map, 3, 0), 0);
	u64 total = stats().total_pages;
	assert_int_equal(drain_checking(BOOT_MEM_USABLE, BOOT_MEM_USABLE), total);
	assert_int_equal(palloc(1, 0), 0);
	assert_int_equal(palloc_free(0x5000, 1), 0);
	assert_int_equal(palloc_free_pages(), 1);
	assert_int_equal(palloc_page(), 0x5000);
	assert_int_equal(palloc_free_pages(), 0);
}

static void test_contiguous_runs_skip_fragments(void **state)
{
	const struct boot_mem_range raw[] = { { 0x100000, 0x100000, BOOT_MEM_USABLE } };
	assert_int_equal(init_raw(raw, 1, 0), 0);
	u64 p[8];
	for (int i = 0; i < 8; i++)
		p[i] = palloc_page();
	for (int i = 0; i < 8; i += 2)
		assert_int_equal(palloc_free(p[i], 1), 0); /* holes of one page */
	u64 run = palloc(3, 0);
	assert_int_equal(run, p[7] + PAGE_SIZE);
	assert_int_equal(palloc(1, 0), p[0]); /* singles still fill the holes */
}

static void test_two_mib_alignment(void **state)
{
	/* Odd bounds: only 2M, 4M and 6M start aligned runs that fit. */
	const struct boot_mem_range raw[] = { { MiB + 123, 8 * MiB - 4000, BOOT_MEM_USABLE } };
	assert_int_equal(init_raw(raw, 1, 0), 0);
	assert_int_equal(palloc(512, SZ_2M), 2 * MiB);
	assert_int_equal(palloc(512, SZ_2M), 4 * MiB);
	assert_int_equal(palloc(512, SZ_2M), 6 * MiB);
	assert_int_equal(palloc(512, SZ_2M), 0);
	assert_int_equal(palloc(1, 64 * KiB), 0x110000); /* below 2M, past the bitmap */
	assert_int_equal(palloc_free(4 * MiB, 512), 0);
	assert_int_equal(palloc(512, SZ_2M), 4 * MiB);
}

static void test_invalid_arguments(void **state)
{
	assert_int_equal(init_raw(pc_map, 3, 0), 0);
	u64 before = palloc_free_pages();
	assert_int_equal(palloc(0, 0), 0);
	assert_int_equal(palloc(1, 3 * PAGE_SIZE), 0);   /* not a power of two */
	assert_int_equal(palloc(1ull << 40, 0), 0);      /* more than exists */
	assert_int_equal(palloc(~0ull, SZ_2M), 0);       /* no overflow */
	assert_int_equal(palloc_free_pages(), before);
	assert_int_equal(palloc(1, 1), 0x1000);          /* tiny alignment means a page */
}

static void test_bad_frees_change_nothing(void **state)
{
	assert_int_equal(init_raw(pc_map, 3, 0), 0);
	u64 a = palloc(4, 0);
	u64 before = palloc_free_pages();
	assert_int_equal(palloc_free(a + 1, 1), -1);                 /* misaligned */
	assert_int_equal(palloc_free(a, 0), -1);                     /* empty */
	assert_int_equal(palloc_free(a, 5), -1);                     /* runs into a free page */
	assert_int_equal(palloc_free(0, 1), -1);                     /* page 0 */
	assert_int_equal(palloc_free(700 * KiB, 1), -1);             /* reserved */
	assert_int_equal(palloc_free(MiB, 1), -1);                   /* the bitmap */
	assert_int_equal(palloc_free(4 * GiB, 1), -1);               /* beyond the map */
	assert_int_equal(palloc_free(~0ull & PAGE_MASK, 2), -1);     /* wraps */
	assert_int_equal(palloc_free_pages(), before);
	assert_int_equal(palloc_free(a + PAGE_SIZE, 2), 0);          /* part of a run is fine */
	assert_int_equal(palloc_free(a + PAGE_SIZE, 1), -1);         /* double free */
	assert_int_equal(palloc_free_pages(), before + 2);
}

static void test_init_errors(void **state)
{
	const struct boot_mem_range unsorted[] = {
		{ 0x200000, 0x1000, BOOT_MEM_USABLE }, { 0x100000, 0x1000, BOOT_MEM_USABLE },
	};
	assert_int_equal(palloc_init(unsorted, 2, 0, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "memory map entry 1 overlaps or precedes the one before it: "
				 "normalize the map first");
	const struct boot_mem_range odd[] = { { 0x100000, 0x1800, BOOT_MEM_USABLE } };
	assert_int_equal(palloc_init(odd, 1, 0, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "memory map entry 0 is empty or not page-aligned: normalize the map first");
	const struct boot_mem_range none[] = { { 0x100000, 0x1000, BOOT_MEM_RESERVED } };
	assert_int_equal(palloc_init(none, 1, 0, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "the memory map has no free RAM");
	/* One free page at 4 GiB: its bitmaps (2 x 128 KiB + 16 bytes, page-rounded) fit nowhere. */
	const struct boot_mem_range sparse[] = { { 4 * GiB, 0x1000, BOOT_MEM_USABLE } };
	assert_int_equal(palloc_init(sparse, 1, 0, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "no free range can hold the allocator's 266240-byte bitmaps");
	assert_int_equal(palloc_init(NULL, 0, 0, 0, err, sizeof(err)), -1);
}

/* --- randomized sequence against a model: owner of every page --- */

#define MODEL_TOP (32 * MiB)
#define MODEL_PAGES (MODEL_TOP / PAGE_SIZE)

static const struct boot_mem_range adversarial_map[] = {
	{ 0x7000123, 0x1000000, BOOT_MEM_USABLE },  /* beyond the model: clipped below */
	{ 0x1000, 0x9E000, BOOT_MEM_USABLE },
	{ 0x100000, 0x1F00000, BOOT_MEM_USABLE },
	{ 0x480000, 0x80000, BOOT_MEM_ACPI_NVS },
	{ 0x123456, 0x789, BOOT_MEM_MMIO },
	{ 0x1800000, 0x300000, BOOT_MEM_RECLAIMABLE },
	{ 0x1900000, 0x100000, BOOT_MEM_USABLE },    /* inside reclaimable: loses */
	{ 0x1A00000, 0x10, BOOT_MEM_HV },
	{ 0x1C00000, 0x200000, BOOT_MEM_USABLE },
};

struct live { u64 pa, n; };

/* Is there a free aligned run in the model? (brute force) */
static bool model_has_run(const u8 *owned, const bool *usable, u64 n, u64 step)
{
	for (u64 s = 0; s + n <= MODEL_PAGES; s += step) {
		u64 k = 0;
		while (k < n && usable[s + k] && !owned[s + k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static void test_random_sequence_matches_model(void **state)
{
	static u8 owned[MODEL_PAGES];
	static bool usable[MODEL_PAGES];
	static struct live live[4096];
	u32 nlive = 0;
	u64 nowned = 0;
	const u64 aligns[] = { 0, PAGE_SIZE, 8 * KiB, 64 * KiB, SZ_2M };

	assert_int_equal(init_raw(adversarial_map, ARRAY_SIZE(adversarial_map), 0), 0);
	for (u64 p = 0; p < MODEL_PAGES; p++)
		usable[p] = p && type_of(p * PAGE_SIZE) == BOOT_MEM_USABLE && !in_meta(p * PAGE_SIZE);
	memset(owned, 0, sizeof(owned));
	/* The model covers 32 MiB: take every page, then give back only the model's. */
	while (palloc(1, 0) != 0)
		;
	for (u64 p = 0; p < MODEL_PAGES; p++)
		if (usable[p])
			assert_int_equal(palloc_free(p * PAGE_SIZE, 1), 0);
	u64 base_free = palloc_free_pages();

	srand(99);
	for (int op = 0; op < 20000; op++) {
		if (nlive && (rand() % 2 || nlive == ARRAY_SIZE(live))) {
			u32 i = (u32)rand() % nlive;
			assert_int_equal(palloc_free(live[i].pa, live[i].n), 0);
			for (u64 k = 0; k < live[i].n; k++)
				owned[live[i].pa / PAGE_SIZE + k] = 0;
			nowned -= live[i].n;
			live[i] = live[--nlive];
			continue;
		}
		u64 n = rand() % 4 ? 1 + rand() % 8 : 512;
		u64 align = aligns[rand() % ARRAY_SIZE(aligns)];
		u64 step = align > PAGE_SIZE ? align / PAGE_SIZE : 1;
		u64 pa = palloc(n, align);
		if (!pa) {
			assert_false(model_has_run(owned, usable, n, step));
			continue;
		}
		assert_int_equal(pa % (step * PAGE_SIZE), 0);
		for (u64 k = 0; k < n; k++) {
			u64 p = pa / PAGE_SIZE + k;
			assert_true(p < MODEL_PAGES);
			assert_true(usable[p]);  /* never reserved, never metadata, never page 0 */
			assert_false(owned[p]);  /* never handed out twice */
			owned[p] = 1;
		}
		nowned += n;
		live[nlive++] = (struct live){ pa, n };
		assert_int_equal(palloc_free_pages(), base_free - nowned);
	}
}

/* --- threads: no page is ever handed to two owners at once --- */

#define THREADS 4
static u8 owner[MODEL_PAGES];

static void *churn(void *arg)
{
	u8 me = (u8)(uintptr_t)arg;
	u64 mine[64];
	unsigned seed = me;
	for (int round = 0; round < 3000; round++) {
		int n = 0;
		for (; n < 1 + rand_r(&seed) % 64; n++) {
			u64 pa = palloc(1 + (round & 1), 0);
			if (!pa)
				break;
			u8 expected = 0;
			if (!__atomic_compare_exchange_n(&owner[pa / PAGE_SIZE], &expected, me, false,
							 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				return (void *)1; /* someone else holds it */
			mine[n] = pa;
		}
		while (n--) {
			__atomic_store_n(&owner[mine[n] / PAGE_SIZE], 0, __ATOMIC_SEQ_CST);
			if (palloc_free(mine[n], 1 + (round & 1)))
				return (void *)2;
		}
	}
	return NULL;
}

static void test_threads_never_share_a_page(void **state)
{
	const struct boot_mem_range raw[] = { { MiB, 4 * MiB, BOOT_MEM_USABLE } };
	assert_int_equal(init_raw(raw, 1, 0), 0);
	u64 before = palloc_free_pages();
	pthread_t t[THREADS];
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(i + 1)), 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(palloc_free_pages(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pc_map_counts_and_metadata),
		cmocka_unit_test(test_page_zero_is_never_handed_out),
		cmocka_unit_test(test_reserved_inside_usable_is_never_handed_out),
		cmocka_unit_test(test_firmware_acpi_mmio_never_handed_out),
		cmocka_unit_test(test_reclaimable_only_when_asked),
		cmocka_unit_test(test_exhaustion_then_free_and_reuse),
		cmocka_unit_test(test_contiguous_runs_skip_fragments),
		cmocka_unit_test(test_two_mib_alignment),
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_bad_frees_change_nothing),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_random_sequence_matches_model),
		cmocka_unit_test(test_threads_never_share_a_page),
	};
	return cmocka_run_group_tests(tests, setup_phys, teardown_phys);
}
