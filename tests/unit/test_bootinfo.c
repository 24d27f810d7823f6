/* Filling struct boot_info (boot/bootinfo.c), shared by both boot paths. */
#include "tests/unit/unit.h"
#include <stdlib.h>
#include <string.h>

#include "boot/bootinfo.h"

static struct boot_info *new_bi(void)
{
	struct boot_info *bi = malloc(sizeof(*bi));
	assert_non_null(bi);
	bootinfo_init(bi, BOOT_UEFI);
	return bi;
}

static void test_init(void **state)
{
	struct boot_info *bi = new_bi();
	assert_int_equal(bi->magic, BOOT_INFO_MAGIC);
	assert_int_equal(bi->source, BOOT_UEFI);
	assert_int_equal(bi->mem_count, 0);
	assert_string_equal(bi->cmdline, "");
	free(bi);
}

static void test_neighbours_of_one_type_merge(void **state)
{
	struct boot_info *bi = new_bi();
	assert_true(bootinfo_add_mem(bi, 0x1000, 0x1000, BOOT_MEM_USABLE));
	assert_true(bootinfo_add_mem(bi, 0x2000, 0x3000, BOOT_MEM_USABLE)); /* touches: merged */
	assert_true(bootinfo_add_mem(bi, 0x5000, 0x1000, BOOT_MEM_RESERVED)); /* other type */
	assert_true(bootinfo_add_mem(bi, 0x7000, 0x1000, BOOT_MEM_RESERVED)); /* gap */
	assert_true(bootinfo_add_mem(bi, 0x9000, 0, BOOT_MEM_USABLE));        /* empty: dropped */
	assert_int_equal(bi->mem_count, 3);
	assert_int_equal(bi->mem[0].base, 0x1000);
	assert_int_equal(bi->mem[0].len, 0x4000);
	assert_int_equal(bi->mem[1].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi->mem[2].base, 0x7000);
	free(bi);
}

static void test_full_table_is_reported(void **state)
{
	struct boot_info *bi = new_bi();
	for (u32 i = 0; i < BOOT_MAX_MEM; i++) /* gaps between them: no merging */
		assert_true(bootinfo_add_mem(bi, (u64)i * 0x2000, 0x1000, BOOT_MEM_USABLE));
	assert_false(bootinfo_add_mem(bi, 0x10000000, 0x1000, BOOT_MEM_USABLE));
	assert_int_equal(bi->mem_count, BOOT_MAX_MEM);
	free(bi);
}

static void test_image_names_and_reservation(void **state)
{
	struct boot_info *bi = new_bi();
	assert_true(bootinfo_add_image(bi, "/guests/hello.elf", 0x200000, 0x1234));
	assert_true(bootinfo_add_image(bi, "suite.cfg", 0x300000, 10));
	assert_int_equal(bi->image_count, 2);
	assert_string_equal(bi->images[0].name, "hello.elf");
	assert_string_equal(bi->images[1].name, "suite.cfg");
	/* each image is reserved, rounded up to whole pages */
	assert_int_equal(bi->mem[0].base, 0x200000);
	assert_int_equal(bi->mem[0].len, 0x2000);
	assert_int_equal(bi->mem[0].type, BOOT_MEM_HV);
	free(bi);
}

static void test_basename(void **state)
{
	char name[8];
	const char *s = "\\EFI\\hv\\guests\\a.elf";
	bootinfo_basename(name, sizeof(name), s, strlen(s));
	assert_string_equal(name, "a.elf");
	s = "/boot/x.elf some args";
	bootinfo_basename(name, sizeof(name), s, strlen(s));
	assert_string_equal(name, "x.elf"); /* a module string's arguments are not the name */
	s = "averylongname.bin";
	bootinfo_basename(name, sizeof(name), s, strlen(s));
	assert_string_equal(name, "averylo"); /* cut to fit, terminated */
}

static void test_cmdline_truncation_is_reported(void **state)
{
	struct boot_info *bi = new_bi();
	assert_true(bootinfo_set_cmdline(bi, "loglevel=debug xyz", 14));
	assert_string_equal(bi->cmdline, "loglevel=debug");
	char *long_text = malloc(BOOT_CMDLINE_MAX + 10);
	memset(long_text, 'a', BOOT_CMDLINE_MAX + 10);
	assert_false(bootinfo_set_cmdline(bi, long_text, BOOT_CMDLINE_MAX + 10));
	assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
	free(long_text);
	free(bi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_neighbours_of_one_type_merge),
		cmocka_unit_test(test_full_table_is_reported),
		cmocka_unit_test(test_image_names_and_reservation),
		cmocka_unit_test(test_basename),
		cmocka_unit_test(test_cmdline_truncation_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
