/* The Multiboot v1 information block, read back the way a guest reads it. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/runner/multiboot_info.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define BASE 0x9000u

static u8 buf[1024];
static u32 used;
static char err[160];

static u32 rd32(u32 off) { u32 v; memcpy(&v, buf + off, 4); return v; }
static u64 rd64(u32 off) { u64 v; memcpy(&v, buf + off, 8); return v; }

/* A guest pointer into the block, as an offset into buf. */
static u32 at(u32 gpa)
{
	assert_true(gpa >= BASE && gpa < BASE + used);
	return gpa - BASE;
}

static void test_basic_block(void **state)
{
	const struct mb_module mods[] = { { 0x200000, 0x200123, "env.txt" }, { 0x201000, 0x201010, "b" } };
	struct mb_info_params p = { .ram_size = 16 * MiB, .name = "hello.elf", .args = "mem=16M cpus=1",
				    .modules = mods, .nmodules = 2 };
	memset(buf, 0xCC, sizeof(buf));
	assert_int_equal(multiboot_info_build(&p, BASE, buf, sizeof(buf), &used, err, sizeof(err)), 0);
	assert_int_equal(rd32(MBI_OFF_FLAGS), MBI_MEMORY | MBI_CMDLINE | MBI_MODULES | MBI_MMAP | MBI_LOADER_NAME);
	assert_int_equal(rd32(MBI_OFF_MEM_LOWER), 640);
	assert_int_equal(rd32(MBI_OFF_MEM_UPPER), 15 * 1024);
	assert_string_equal((char *)buf + at(rd32(MBI_OFF_CMDLINE)), "hello.elf mem=16M cpus=1");
	assert_string_equal((char *)buf + at(rd32(MBI_OFF_LOADER_NAME)), "hv");

	assert_int_equal(rd32(MBI_OFF_MODS_COUNT), 2);
	u32 m = at(rd32(MBI_OFF_MODS_ADDR));
	assert_int_equal(rd32(m), 0x200000);
	assert_int_equal(rd32(m + 4), 0x200123);
	assert_string_equal((char *)buf + at(rd32(m + 8)), "env.txt");
	assert_int_equal(rd32(m + 12), 0);
	assert_string_equal((char *)buf + at(rd32(m + 16 + 8)), "b");

	/* unused fields (boot device, symbols, drives, ...) are zero */
	assert_int_equal(rd32(12), 0);
	assert_int_equal(rd32(28), 0);
	assert_int_equal(rd32(52), 0);
	assert_true(used <= sizeof(buf));
	assert_int_equal(buf[used], 0xCC); /* nothing written past *used */
}

static void test_memory_map(void **state)
{
	struct mb_info_params p = { .ram_size = 5 * GiB, .name = "big" };
	assert_int_equal(multiboot_info_build(&p, BASE, buf, sizeof(buf), &used, err, sizeof(err)), 0);
	assert_int_equal(rd32(MBI_OFF_MMAP_LENGTH), 3 * MBI_MMAP_ENTRY_SIZE);
	u32 e = at(rd32(MBI_OFF_MMAP_ADDR));
	const u64 want[3][2] = { { 0, 640 << 10 }, { MiB, 3 * GiB - MiB }, { 4 * GiB, 2 * GiB } };
	for (int i = 0; i < 3; i++, e += MBI_MMAP_ENTRY_SIZE) {
		assert_int_equal(rd32(e), 20);
		assert_int_equal(rd64(e + 4), want[i][0]);
		assert_int_equal(rd64(e + 12), want[i][1]);
		assert_int_equal(rd32(e + 20), 1);
	}
	assert_int_equal(rd32(MBI_OFF_MEM_UPPER), (3 * GiB - MiB) >> 10); /* up to the hole */
	assert_string_equal((char *)buf + at(rd32(MBI_OFF_CMDLINE)), "big"); /* no args: no blank */
	assert_int_equal(rd32(MBI_OFF_MODS_COUNT), 0);
}

static void test_tiny_ram(void **state)
{
	struct mb_info_params p = { .ram_size = 512 << 10, .name = "t", .args = "" };
	assert_int_equal(multiboot_info_build(&p, BASE, buf, sizeof(buf), &used, err, sizeof(err)), 0);
	assert_int_equal(rd32(MBI_OFF_MEM_LOWER), 512);
	assert_int_equal(rd32(MBI_OFF_MEM_UPPER), 0);
	assert_int_equal(rd32(MBI_OFF_MMAP_LENGTH), MBI_MMAP_ENTRY_SIZE);
	assert_string_equal((char *)buf + at(rd32(MBI_OFF_CMDLINE)), "t");
}

static void test_errors(void **state)
{
	struct mb_info_params p = { .ram_size = 16 * MiB, .name = "hello.elf" };
	/* 116 fixed + 2 map entries of 24 + "hello.elf" + "hv" with their NULs */
	assert_int_equal(multiboot_info_build(&p, BASE, buf, 100, &used, err, sizeof(err)), -1);
	assert_string_equal(err, "the Multiboot information needs 177 bytes, the buffer holds 100");
	assert_int_equal(multiboot_info_build(&p, 0xFFFFFFA0u, buf, sizeof(buf), &used, err, sizeof(err)), -1);
	assert_string_equal(err, "the Multiboot information at 0xffffffa0 would cross 4 GiB");
	const struct mb_module high = { 0xFFFFF000ull, 0x100001000ull, "huge.bin" };
	p.modules = &high;
	p.nmodules = 1;
	assert_int_equal(multiboot_info_build(&p, BASE, buf, sizeof(buf), &used, err, sizeof(err)), -1);
	assert_string_equal(err, "module 'huge.bin' at 0xfffff000..0x100001000 is not a range below 4 GiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_block),
		cmocka_unit_test(test_memory_map),
		cmocka_unit_test(test_tiny_ram),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
