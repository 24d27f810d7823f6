/* memmap_normalize: sorting, overlap precedence, page rounding, merging, errors. */
#include "tests/unit/unit.h"
#include <stdlib.h>
#include <string.h>

#include "mm/memmap.h"

#define USABLE BOOT_MEM_USABLE
#define RECLAIM BOOT_MEM_RECLAIMABLE
#define RSVD BOOT_MEM_RESERVED
#define MiB (1ull << 20)

static struct boot_mem_range out[64];
static u32 nout;
static char err[160];

static int normalize(const struct boot_mem_range *in, u32 n)
{
	memset(out, 0xAB, sizeof(out));
	return memmap_normalize(in, n, out, ARRAY_SIZE(out), &nout, err, sizeof(err));
}

static void expect_range(u32 i, u64 base, u64 len, u32 type)
{
	assert_true(i < nout);
	assert_int_equal(out[i].base, base);
	assert_int_equal(out[i].len, len);
	assert_int_equal(out[i].type, type);
}

static void test_empty_map_gives_nothing(void **state)
{
	assert_int_equal(normalize(NULL, 0), 0);
	assert_int_equal(nout, 0);
	struct boot_mem_range zero[] = { { 0x1000, 0, USABLE }, { 0, 0, RSVD } };
	assert_int_equal(normalize(zero, 2), 0);
	assert_int_equal(nout, 0);
}

static void test_usable_shrinks_inward(void **state)
{
	struct boot_mem_range in[] = { { 0x1234, 0x5000, USABLE } };
	assert_int_equal(normalize(in, 1), 0);
	assert_int_equal(nout, 1);
	expect_range(0, 0x2000, 0x4000, USABLE);
}

static void test_usable_smaller_than_a_page_vanishes(void **state)
{
	struct boot_mem_range in[] = { { 0x1800, 0x1000, USABLE }, { 0x5001, 0xFFE, RECLAIM } };
	assert_int_equal(normalize(in, 2), 0);
	assert_int_equal(nout, 0);
}

static void test_reserved_grows_outward(void **state)
{
	struct boot_mem_range in[] = { { 0x1234, 0x10, RSVD }, { 0x3FFF, 2, BOOT_MEM_MMIO } };
	assert_int_equal(normalize(in, 2), 0);
	assert_int_equal(nout, 2);
	expect_range(0, 0x1000, 0x1000, RSVD);
	expect_range(1, 0x3000, 0x2000, BOOT_MEM_MMIO);
}

static void test_unsorted_input_comes_out_sorted(void **state)
{
	struct boot_mem_range in[] = {
		{ 0x40000000, 0x1000000, USABLE },
		{ 0x100000, 0x100000, USABLE },
		{ 0x9F000, 0x1000, RSVD },
		{ 0x10000000, 0x2000, BOOT_MEM_ACPI_NVS },
	};
	assert_int_equal(normalize(in, 4), 0);
	assert_int_equal(nout, 4);
	expect_range(0, 0x9F000, 0x1000, RSVD);
	expect_range(1, 0x100000, 0x100000, USABLE);
	expect_range(2, 0x10000000, 0x2000, BOOT_MEM_ACPI_NVS);
	expect_range(3, 0x40000000, 0x1000000, USABLE);
}

static void test_touching_ranges_of_one_type_merge(void **state)
{
	struct boot_mem_range in[] = {
		{ 0x3000, 0x1000, USABLE }, { 0x1000, 0x2000, USABLE }, { 0x4000, 0x1000, RECLAIM },
		{ 0x5000, 0x1000, RECLAIM },
	};
	assert_int_equal(normalize(in, 4), 0);
	assert_int_equal(nout, 2);
	expect_range(0, 0x1000, 0x3000, USABLE);
	expect_range(1, 0x4000, 0x2000, RECLAIM);
}

static void test_reserved_inside_usable_splits_it(void **state)
{
	struct boot_mem_range in[] = { { 0, 16 * MiB, USABLE }, { MiB + 0x800, 0x800, RSVD } };
	assert_int_equal(normalize(in, 2), 0);
	assert_int_equal(nout, 3);
	expect_range(0, 0, MiB, USABLE);
	expect_range(1, MiB, 0x1000, RSVD);
	expect_range(2, MiB + 0x1000, 15 * MiB - 0x1000, USABLE);
}

static void test_overlap_takes_higher_precedence(void **state)
{
	struct boot_mem_range in[] = {
		{ 0x10000, 0x10000, BOOT_MEM_ACPI_RECLAIM },
		{ 0x18000, 0x10000, BOOT_MEM_FW_RUNTIME },  /* wins over ACPI */
		{ 0x1C000, 0x1000, BOOT_MEM_HV },           /* wins over everything */
		{ 0x08000, 0x40000, USABLE },               /* loses to all */
	};
	assert_int_equal(normalize(in, 4), 0);
	assert_int_equal(nout, 6);
	expect_range(0, 0x8000, 0x8000, USABLE);
	expect_range(1, 0x10000, 0x8000, BOOT_MEM_ACPI_RECLAIM);
	expect_range(2, 0x18000, 0x4000, BOOT_MEM_FW_RUNTIME);
	expect_range(3, 0x1C000, 0x1000, BOOT_MEM_HV);
	expect_range(4, 0x1D000, 0xB000, BOOT_MEM_FW_RUNTIME);
	expect_range(5, 0x28000, 0x20000, USABLE);
}

static void test_duplicates_collapse(void **state)
{
	struct boot_mem_range in[] = { { MiB, MiB, USABLE }, { MiB, MiB, USABLE }, { MiB, MiB, USABLE } };
	assert_int_equal(normalize(in, 3), 0);
	assert_int_equal(nout, 1);
	expect_range(0, MiB, MiB, USABLE);
}

static void test_range_at_address_zero_is_kept(void **state)
{
	struct boot_mem_range in[] = { { 0, 0x9FC00, USABLE }, { 0x9FC00, 0x400, RSVD } };
	assert_int_equal(normalize(in, 2), 0);
	assert_int_equal(nout, 2);
	expect_range(0, 0, 0x9F000, USABLE);
	expect_range(1, 0x9F000, 0x1000, RSVD);
}

static void test_too_many_results_is_an_error(void **state)
{
	struct boot_mem_range in[] = {
		{ 0x1000, 0x1000, USABLE }, { 0x2000, 0x1000, RSVD }, { 0x3000, 0x1000, USABLE },
		{ 0x4000, 0x1000, RSVD },
	};
	assert_int_equal(memmap_normalize(in, 4, out, 3, &nout, err, sizeof(err)), -1);
	assert_string_equal(err, "normalized memory map needs more than 3 entries");
	assert_int_equal(nout, 0);
	assert_int_equal(memmap_normalize(in, 4, out, 4, &nout, err, sizeof(err)), 0);
	assert_int_equal(nout, 4);
}

static void test_unknown_type_is_an_error(void **state)
{
	struct boot_mem_range in[] = { { 0x1000, 0x1000, USABLE }, { 0x2000, 0x1000, 42 } };
	assert_int_equal(normalize(in, 2), -1);
	assert_string_equal(err, "memory map entry 1 has unknown type 42");
	in[1].type = 0;
	assert_int_equal(normalize(in, 2), -1);
	assert_string_equal(err, "memory map entry 1 has unknown type 0");
}

static void test_wrapping_range_is_an_error(void **state)
{
	struct boot_mem_range in[] = { { 0xFFFFFFFFFFFFF000ull, 0x2000, RSVD } };
	assert_int_equal(normalize(in, 1), -1);
	assert_string_equal(err, "memory map entry 0 (base 0xfffffffffffff000, length 0x2000) "
				 "runs past the top of the address space");
}

static void test_boot_info_normalize_in_place(void **state)
{
	static struct boot_info bi;
	bi.mem_count = 3;
	bi.mem[0] = (struct boot_mem_range){ 2 * MiB, MiB, USABLE };
	bi.mem[1] = (struct boot_mem_range){ MiB, MiB + 1, USABLE };
	bi.mem[2] = (struct boot_mem_range){ 0, 0x1001, RSVD };
	assert_int_equal(boot_info_normalize(&bi, err, sizeof(err)), 0);
	assert_int_equal(bi.mem_count, 2);
	assert_int_equal(bi.mem[0].base, 0);
	assert_int_equal(bi.mem[0].len, 0x2000);
	assert_int_equal(bi.mem[1].base, MiB);
	assert_int_equal(bi.mem[1].len, 2 * MiB);
	bi.mem_count = BOOT_MAX_MEM + 1;
	assert_int_equal(boot_info_normalize(&bi, err, sizeof(err)), -1);
	assert_string_equal(err, "boot_info claims 513 memory ranges, the array holds 512");
}

static void test_type_names(void **state)
{
	assert_string_equal(memmap_type_name(BOOT_MEM_USABLE), "usable");
	assert_string_equal(memmap_type_name(BOOT_MEM_HV), "hypervisor");
	assert_string_equal(memmap_type_name(0), "unknown");
	assert_string_equal(memmap_type_name(99), "unknown");
}

/* --- randomized: compare with a page-by-page model over a small space --- */

#define MODEL_PAGES 48

/* The model: a page is RAM only if fully covered, other types claim any page they touch. */
static u32 model_type(const struct boot_mem_range *in, u32 n, u64 page)
{
	u64 ps = page * PAGE_SIZE, pe = ps + PAGE_SIZE;
	u32 best = 0;
	for (u32 i = 0; i < n; i++) {
		u64 s = in[i].base, e = in[i].base + in[i].len;
		bool covers = memmap_type_is_ram(in[i].type) ? s <= ps && pe <= e : s < pe && ps < e;
		if (in[i].len && covers && in[i].type > best)
			best = in[i].type;
	}
	return best;
}

static u32 output_type(u64 page)
{
	for (u32 i = 0; i < nout; i++)
		if (out[i].base <= page * PAGE_SIZE && page * PAGE_SIZE < out[i].base + out[i].len)
			return out[i].type;
	return 0;
}

static void check_output_shape(void)
{
	for (u32 i = 0; i < nout; i++) {
		assert_int_equal(out[i].base % PAGE_SIZE, 0);
		assert_int_equal(out[i].len % PAGE_SIZE, 0);
		assert_true(out[i].len > 0);
		if (i == 0)
			continue;
		u64 prev_end = out[i - 1].base + out[i - 1].len;
		assert_true(out[i].base >= prev_end);
		assert_false(out[i].base == prev_end && out[i].type == out[i - 1].type);
	}
}

static void test_random_maps_match_page_model(void **state)
{
	srand(1234);
	for (int round = 0; round < 3000; round++) {
		struct boot_mem_range in[12];
		u32 n = (u32)(rand() % 12);
		for (u32 i = 0; i < n; i++) {
			in[i].base = (u64)(rand() % (MODEL_PAGES * PAGE_SIZE / 2));
			in[i].len = (u64)(rand() % (MODEL_PAGES * PAGE_SIZE / 2));
			in[i].type = rand() % 3 ? USABLE + rand() % 2 : BOOT_MEM_ACPI_RECLAIM + rand() % 7;
		}
		assert_int_equal(normalize(in, n), 0);
		check_output_shape();
		for (u64 p = 0; p < MODEL_PAGES; p++)
			assert_int_equal(output_type(p), model_type(in, n, p));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_map_gives_nothing),
		cmocka_unit_test(test_usable_shrinks_inward),
		cmocka_unit_test(test_usable_smaller_than_a_page_vanishes),
		cmocka_unit_test(test_reserved_grows_outward),
		cmocka_unit_test(test_unsorted_input_comes_out_sorted),
		cmocka_unit_test(test_touching_ranges_of_one_type_merge),
		cmocka_unit_test(test_reserved_inside_usable_splits_it),
		cmocka_unit_test(test_overlap_takes_higher_precedence),
		cmocka_unit_test(test_duplicates_collapse),
		cmocka_unit_test(test_range_at_address_zero_is_kept),
		cmocka_unit_test(test_too_many_results_is_an_error),
		cmocka_unit_test(test_unknown_type_is_an_error),
		cmocka_unit_test(test_wrapping_range_is_an_error),
		cmocka_unit_test(test_boot_info_normalize_in_place),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_random_maps_match_page_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
