/* The NPT entry format svm/ hands to mm/: the rules of mm/spte.h for NPT. */
#include "tests/unit/unit.h"

#include "mm/spte.h"

extern const struct spte_format npt_format;

#define NPT_P (1ull << 0)
#define NPT_RW (1ull << 1)
#define NPT_US (1ull << 2)
#define NPT_PS (1ull << 7)
#define NPT_NX (1ull << 63)

static void test_format_is_valid(void **state)
{
	assert_null(spte_format_check(&npt_format));
}

static void test_every_level_is_user(void **state)
{
	const struct spte_format *f = &npt_format;
	u64 table = f->make_table(0x5000);
	u64 leaf = f->make_leaf(0x1234, SPTE_LEVEL_4K, MM_READ, SPTE_MT_WB);
	u64 huge = f->make_leaf(0x200, SPTE_LEVEL_2M, MM_READ | MM_WRITE | MM_EXEC, SPTE_MT_WB);

	assert_int_equal(table & (NPT_P | NPT_RW | NPT_US), NPT_P | NPT_RW | NPT_US);
	assert_false(table & NPT_NX);
	assert_true(leaf & NPT_US);
	assert_true(leaf & NPT_NX);      /* not executable */
	assert_false(leaf & NPT_RW);     /* not writable */
	assert_int_equal(spte_pfn(f, leaf), 0x1234);
	assert_true(huge & NPT_PS);
	assert_true(spte_leaf(f, huge, SPTE_LEVEL_2M));
	assert_int_equal(f->leaf_perm(huge), MM_READ | MM_WRITE | MM_EXEC);
	assert_int_equal(f->leaf_perm(leaf), MM_READ);
}

static void test_mmio_marker(void **state)
{
	const struct spte_format *f = &npt_format;
	u64 m = f->make_mmio(0x12345678);

	assert_false(spte_present(f, m));
	assert_true(f->is_mmio(m));
	assert_int_equal(f->mmio_gen(m), 0x12345678);
	assert_false(f->is_mmio(f->make_leaf(1, SPTE_LEVEL_4K, MM_READ, SPTE_MT_WB)));
	assert_false(f->is_mmio(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_is_valid),
		cmocka_unit_test(test_every_level_is_user),
		cmocka_unit_test(test_mmio_marker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
