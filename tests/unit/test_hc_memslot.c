/*
 * HC_MEMSLOT against the real mm/ core (hosted): every operation works,
 * every bad argument gets its error code and the index of its operation,
 * and a refused list changes nothing (same generation, same slots).
 */
#include "tests/unit/unit.h"
#include <string.h>
#include "tests/mm/host.h"
#include "hv/vm/hc_memslot.h"

#define KB 1024ull
#define MB (1024ull * KB)
/* "Guest RAM" for the ops array and buffers: gpa [0, GUEST_BYTES) */
#define GUEST_BYTES (64 * KB)
#define BOOT_PAGES 256 /* boot slot: gpa 0..1 MiB */
#define RAM_PFN 0x10000ull
#define POOL_PFN 0x20000ull
#define POOL_PAGES 1024 /* 4 MiB */
#define OPS_GPA 0x1000ull
#define BUF_GPA 0x8000ull

static u8 guest[GUEST_BYTES];
static struct hc_memslot_vm vm;

static bool guest_read(void *ctx, u64 gpa, void *buf, u64 len)
{
	if (gpa >= GUEST_BYTES || len > GUEST_BYTES - gpa)
		return false;
	memcpy(buf, guest + gpa, len);
	return true;
}

static bool guest_write(void *ctx, u64 gpa, const void *buf, u64 len)
{
	if (gpa >= GUEST_BYTES || len > GUEST_BYTES - gpa)
		return false;
	memcpy(guest + gpa, buf, len);
	return true;
}

static int setup(void **state)
{
	static const struct nx_params nx = { .enabled = false, .ratio = 1, .period_ms = 100 };
	struct mmu_config cfg = { .format = &test_npt, .owner = NULL, .nx = nx, .max_vcpus = 1 };
	memset(guest, 0, sizeof(guest));
	vm = (struct hc_memslot_vm){ .pool_pfn = POOL_PFN, .pool_pages = POOL_PAGES,
				     .ram_pfn = RAM_PFN, .ram_pages = BOOT_PAGES,
				     .read = guest_read, .write = guest_write };
	assert_int_equal(mmu_create(&cfg, &vm.mmu), 0);
	struct memslot_change boot = { .op = MEMSLOT_CREATE, .gfn = 0, .npages = BOOT_PAGES,
				       .host_pfn = RAM_PFN };
	assert_int_equal(memslots_commit(vm.mmu, &boot, 1, NULL), MEMSLOT_OK);
	return 0;
}

static int teardown(void **state)
{
	mmu_destroy(vm.mmu);
	return 0;
}

/* Put the ops in guest RAM and make the call; *bad gets RBX. */
static s64 call(const struct hc_memslot_op *ops, u64 n, u64 *bad)
{
	memcpy(guest + OPS_GPA, ops, n * sizeof(*ops));
	return hc_memslot(&vm, OPS_GPA, n, bad);
}

static s64 call1(struct hc_memslot_op op)
{
	u64 bad;
	return call(&op, 1, &bad);
}

/* The host frame behind gpa, or 0 when no slot is there. */
static u64 pfn_at(u64 gpa)
{
	u64 pfn;
	return memslots_gfn_to_pfn(vm.mmu, gpa >> PAGE_SHIFT, &pfn, NULL) ? pfn : 0;
}

static struct hc_memslot_op create(u64 gpa, u64 size, u64 pool_offset, u32 flags)
{
	return (struct hc_memslot_op){ .op = HC_MEMSLOT_CREATE, .gpa = gpa, .size = size,
				       .arg = pool_offset, .flags = flags };
}

static void test_operations(void **state)
{
	const u64 base = 0x40000000;
	assert_int_equal(call1(create(base, 2 * MB, 1 * MB, 0)), HC_OK);
	assert_int_equal(pfn_at(base), POOL_PFN + 256);
	assert_int_equal(pfn_at(base + 2 * MB - PAGE_SIZE), POOL_PFN + 256 + 511);
	assert_int_equal(pfn_at(base + 2 * MB), 0);

	u64 bad = 99;
	struct hc_memslot_op list[3] = {
		{ .op = HC_MEMSLOT_SPLIT, .gpa = base, .arg = base + 1 * MB },
		{ .op = HC_MEMSLOT_MOVE, .gpa = base + 1 * MB, .arg = base + 8 * MB },
		{ .op = HC_MEMSLOT_RESIZE, .gpa = base, .size = 3 * MB },
	};
	assert_int_equal(call(list, 3, &bad), HC_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(pfn_at(base + 8 * MB), POOL_PFN + 512);        /* moved tail, same pages */
	assert_int_equal(pfn_at(base + 3 * MB - PAGE_SIZE), POOL_PFN + 256 + 767); /* grown head */
	assert_int_equal(pfn_at(base + 3 * MB), 0);

	assert_int_equal(call1((struct hc_memslot_op){ .op = HC_MEMSLOT_SET_FLAGS, .gpa = base,
						       .flags = HC_MEMSLOT_F_READONLY }), HC_OK);
	u64 pfn;
	u32 flags;
	assert_true(memslots_gfn_to_pfn(vm.mmu, base >> PAGE_SHIFT, &pfn, &flags));
	assert_int_equal(flags, MEMSLOT_READONLY);
	assert_int_equal(call1((struct hc_memslot_op){ .op = HC_MEMSLOT_DELETE, .gpa = base + 8 * MB }),
			 HC_OK);
	assert_int_equal(pfn_at(base + 8 * MB), 0);
	/* the same pool pages may back two slots */
	assert_int_equal(call1(create(0x50000000, 4 * MB, 0, 0)), HC_OK);
	assert_int_equal(pfn_at(0x50000000 + 1 * MB), pfn_at(base));
}

/* Each bad list: the error, the index, and nothing changed. */
static void expect_refused(const struct hc_memslot_op *ops, u64 n, s64 want, u64 want_bad)
{
	u64 gen = memslots_generation(vm.mmu), bad = 1234;
	s64 got = call(ops, n, &bad);
	if (got != want || bad != want_bad)
		fail_msg("got %ld at %lu, want %ld at %lu", (long)got, (unsigned long)bad, (long)want,
			 (unsigned long)want_bad);
	assert_int_equal(memslots_generation(vm.mmu), gen);
}

static void test_errors(void **state)
{
	const u64 base = 0x40000000;
	assert_int_equal(call1(create(base, 1 * MB, 0, 0)), HC_OK);
	const struct hc_memslot_op good = create(base + 4 * MB, 1 * MB, 1 * MB, 0);
	struct { struct hc_memslot_op op; s64 err; } cases[] = {
		{ { .op = 0 }, HC_EINVAL },
		{ { .op = 8 }, HC_EINVAL },
		{ create(base + 8 * MB, 4096, 0, 4), HC_EINVAL },
		{ create(base + 8 * MB + 1, 4096, 0, 0), HC_EALIGN },
		{ create(base + 8 * MB, 4095, 0, 0), HC_EALIGN },
		{ create(base + 8 * MB, 4096, 12, 0), HC_EALIGN },
		{ create(base + 8 * MB, 0, 0, 0), HC_ELENGTH },
		{ create(base + 8 * MB, 4096, 4 * MB, 0), HC_ERANGE },   /* past the pool */
		{ create(base + 8 * MB, 8 * MB, 0, 0), HC_ERANGE },      /* larger than the pool */
		{ create(base + 8 * MB, 4096, ~0xfffull, 0), HC_ERANGE }, /* offset wraps */
		{ create(HC_DEVICE_HOLE_START - 4096, 8192, 0, 0), HC_ERANGE },
		{ create(HC_GPA_LIMIT - 4096, 8192, 0, 0), HC_ERANGE },
		{ create(~0xfffull, 8192, 0, 0), HC_ERANGE },
		{ create(base, 4096, 0, 0), HC_EEXIST },
		{ { .op = HC_MEMSLOT_DELETE, .gpa = base + 4096 }, HC_ENOENT },
		{ { .op = HC_MEMSLOT_DELETE, .gpa = 0 }, HC_EPROTECTED },
		{ { .op = HC_MEMSLOT_MOVE, .gpa = 0x10000, .arg = base + 8 * MB }, HC_EPROTECTED },
		{ { .op = HC_MEMSLOT_SET_FLAGS, .gpa = 0, .flags = HC_MEMSLOT_F_READONLY }, HC_EPROTECTED },
		{ { .op = HC_MEMSLOT_SET_FLAGS, .gpa = base, .flags = 0x10 }, HC_EINVAL },
		{ { .op = HC_MEMSLOT_MOVE, .gpa = base, .arg = HC_DEVICE_HOLE_START }, HC_ERANGE },
		{ { .op = HC_MEMSLOT_RESIZE, .gpa = base, .size = 0 }, HC_ELENGTH },
		{ { .op = HC_MEMSLOT_RESIZE, .gpa = base, .size = 8 * MB }, HC_ERANGE },
		{ { .op = HC_MEMSLOT_SPLIT, .gpa = base, .arg = base }, HC_EINVAL },
		{ { .op = HC_MEMSLOT_SPLIT, .gpa = base, .arg = base + 1 * MB }, HC_EINVAL },
	};
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		/* a good step first: the bad one's index is 1, and the good one is undone */
		struct hc_memslot_op list[2] = { good, cases[i].op };
		expect_refused(list, 2, cases[i].err, 1);
	}
	assert_int_equal(pfn_at(base + 4 * MB), 0);

	/* what only the result shows: index = count */
	struct hc_memslot_op overlap[2] = { good, create(0xF0000, 0x20000, 0, 0) }; /* into boot RAM */
	expect_refused(overlap, 2, HC_EOVERLAP, 2);
	struct hc_memslot_op grow[2] = { good, { .op = HC_MEMSLOT_RESIZE, .gpa = base + 4 * MB,
						 .size = 3 * MB + 4096 } }; /* offset 1M + 3M+4K > 4M */
	expect_refused(grow, 2, HC_ERANGE, 2);
	struct hc_memslot_op into_hole[2] = { create(base + 8 * MB, 8192, 0, 0),
		{ .op = HC_MEMSLOT_MOVE, .gpa = base + 8 * MB, .arg = HC_DEVICE_HOLE_START - 4096 } };
	expect_refused(into_hole, 2, HC_ERANGE, 2);
	assert_int_equal(pfn_at(base + 8 * MB), 0);

	/* the list itself */
	u64 bad;
	assert_int_equal(hc_memslot(&vm, OPS_GPA, 0, &bad), HC_ELENGTH);
	assert_int_equal(hc_memslot(&vm, OPS_GPA, HC_MEMSLOT_MAX_OPS + 1, &bad), HC_ELENGTH);
	assert_int_equal(hc_memslot(&vm, GUEST_BYTES - 16, 1, &bad), HC_EFAULT);
	assert_int_equal(hc_memslot(&vm, ~0ull - 8, 1, &bad), HC_EFAULT);
	assert_int_equal(pfn_at(base), POOL_PFN); /* still there, unchanged */
}

static void test_too_many_slots(void **state)
{
	/* one boot slot + 255 new ones is the limit */
	struct hc_memslot_op ops[64];
	u64 bad, made = 1;
	for (u32 round = 0; round < 4; round++) {
		u32 n = round < 3 ? 64 : 63;
		for (u32 i = 0; i < n; i++, made++)
			ops[i] = create(0x40000000 + made * 2 * PAGE_SIZE, PAGE_SIZE, 0, 0);
		assert_int_equal(call(ops, n, &bad), HC_OK);
	}
	assert_int_equal(made, HC_MEMSLOT_MAX_SLOTS);
	expect_refused((struct hc_memslot_op[]){ create(0x50000000, PAGE_SIZE, 0, 0) }, 1, HC_ETOOMANY, 1);
}

static void test_dirty_get(void **state)
{
	const u64 base = 0x40000000;
	u64 bad;
	struct hc_memslot_op get = { .op = HC_MEMSLOT_DIRTY_GET, .gpa = base, .size = 16, .arg = BUF_GPA };
	assert_int_equal(call1(create(base, 128 * PAGE_SIZE, 0, 0)), HC_OK);
	assert_int_equal(call1(get), HC_EDIRTYLOG);
	assert_int_equal(call1((struct hc_memslot_op){ .op = HC_MEMSLOT_SET_FLAGS, .gpa = base,
						       .flags = HC_MEMSLOT_F_DIRTY_LOG }), HC_OK);
	/* reshaping a logged slot is refused */
	assert_int_equal(call1((struct hc_memslot_op){ .op = HC_MEMSLOT_MOVE, .gpa = base, .arg = base * 2 }),
			 HC_EDIRTYLOG);
	/* alone in its list */
	struct hc_memslot_op two[2] = { get, get };
	assert_int_equal(call(two, 2, &bad), HC_EINVAL);
	assert_int_equal(bad, 0);
	memset(guest + BUF_GPA, 0xAB, 24);
	get.size = 8; /* 128 pages need 16 bytes */
	assert_int_equal(call1(get), HC_ELENGTH);
	get.size = 24;
	get.arg = GUEST_BYTES - 8;
	assert_int_equal(call1(get), HC_EFAULT);
	get.arg = BUF_GPA;
	get.gpa = base + PAGE_SIZE;
	assert_int_equal(call1(get), HC_ENOENT);
	get.gpa = base;
	assert_int_equal(call1(get), HC_OK);
	for (u32 i = 0; i < 24; i++) /* nothing written yet: all clear, the tail zeroed */
		assert_int_equal(guest[BUF_GPA + i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty_get, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
