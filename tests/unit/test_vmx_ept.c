/* Host tests: the EPT entry format vmx/ hands to mm/, and the EPT pointer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmx/ept.h"

static void format_passes_mm_check(void **state)
{
	ept_format_setup(true, true, true);
	assert_null(spte_format_check(&ept_format));
	ept_format_setup(false, false, false);
	assert_null(spte_format_check(&ept_format));
}

static void leaf_memory_types(void **state)
{
	u64 ram = ept_format.make_leaf(0x1234, SPTE_LEVEL_4K, MM_READ | MM_WRITE | MM_EXEC, SPTE_MT_WB);
	u64 mmio = ept_format.make_leaf(0x1234, SPTE_LEVEL_4K, MM_READ | MM_WRITE, SPTE_MT_UC);
	assert_int_equal((ram >> 3) & 7, 6);  /* WB */
	assert_int_equal((mmio >> 3) & 7, 0); /* UC */
	assert_true(ram & (1 << 6));          /* ignore PAT: the type is the EPT's */
	assert_int_equal(ram & 7, 7);
	assert_int_equal(mmio & 7, 3);
	assert_int_equal(spte_pfn(&ept_format, ram), 0x1234);
}

static void huge_leaves_and_levels(void **state)
{
	ept_format_setup(true, true, false);
	assert_int_equal(ept_format.max_leaf_level, SPTE_LEVEL_2M);
	ept_format_setup(true, true, true);
	assert_int_equal(ept_format.max_leaf_level, SPTE_LEVEL_1G);
	ept_format_setup(false, false, false);
	assert_int_equal(ept_format.max_leaf_level, SPTE_LEVEL_4K);

	u64 big = ept_format.make_leaf(0x200, SPTE_LEVEL_2M, MM_READ, SPTE_MT_WB);
	u64 small = ept_format.make_leaf(0x200, SPTE_LEVEL_4K, MM_READ, SPTE_MT_WB);
	assert_true(big & ept_format.huge_mask);
	assert_false(small & ept_format.huge_mask);
	assert_true(spte_leaf(&ept_format, big, SPTE_LEVEL_2M));
	assert_false(spte_leaf(&ept_format, ept_format.make_table(0x5000), SPTE_LEVEL_2M));
}

static void accessed_dirty_follow_the_cpu(void **state)
{
	ept_format_setup(true, true, true);
	assert_int_equal(ept_format.accessed_mask, 1 << 8);
	assert_int_equal(ept_format.dirty_mask, 1 << 9);
	ept_format_setup(false, true, true);
	assert_int_equal(ept_format.accessed_mask, 0);
	assert_int_equal(ept_format.dirty_mask, 0);
}

static void write_only_becomes_read_write(void **state)
{
	/* W without R is an EPT misconfiguration, never an entry the CPU accepts. */
	u64 e = ept_format.make_leaf(1, SPTE_LEVEL_4K, MM_WRITE, SPTE_MT_WB);
	assert_int_equal(ept_format.leaf_perm(e), MM_READ | MM_WRITE);
}

static void mmio_markers(void **state)
{
	u64 m = ept_format.make_mmio(0xdeadbeefcafeull);
	assert_false(spte_present(&ept_format, m));
	assert_true(ept_format.is_mmio(m));
	assert_int_equal(ept_format.mmio_gen(m), 0xbeefcafeull);
	assert_false(ept_format.is_mmio(0));
	assert_false(ept_format.is_mmio(ept_format.make_leaf(1, SPTE_LEVEL_4K, MM_READ, SPTE_MT_WB)));
}

static void eptp_bits(void **state)
{
	u64 p = ept_pointer(0x123000, false);
	assert_int_equal(p & 7, 6);            /* WB paging structures */
	assert_int_equal((p >> 3) & 7, 3);     /* 4-level walk */
	assert_int_equal(p & (1 << 6), 0);
	assert_int_equal(p & ~0xfffull, 0x123000);
	assert_true(ept_pointer(0x123000, true) & (1 << 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_passes_mm_check),
		cmocka_unit_test(leaf_memory_types),
		cmocka_unit_test(huge_leaves_and_levels),
		cmocka_unit_test(accessed_dirty_follow_the_cpu),
		cmocka_unit_test(write_only_becomes_read_write),
		cmocka_unit_test(mmio_markers),
		cmocka_unit_test(eptp_bits),
	};
	return cmocka_run_group_tests_name("vmx_ept", tests, NULL, NULL);
}
