/* The Linux boot protocol: setup header checks, placement, the E820 map and the zero page. */
#include "tests/unit/unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/runner/linux_boot.h"
#include "hv/runner/guest_image.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static u8 img[64 * 1024];
static char err[256];
static struct linux_header hdr;
static struct linux_layout lay;

static void w(u64 off, u64 v, int bytes) { for (int i = 0; i < bytes; i++) img[off + i] = (u8)(v >> (8 * i)); }
static u64 r(const u8 *p, int bytes)
{
	u64 v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

/* A bzImage as a 2.15 kernel writes it: 4 setup sectors after the boot sector,
 * 64-bit entry, relocatable to 2 MiB boundaries, preferred at 16 MiB. */
#define IMG_SIZE (32 * 1024)
#define SETUP_SIZE (5 * 512)
static u64 make_bzimage(void)
{
	memset(img, 0, sizeof(img));
	img[LINUX_HDR_SETUP_SECTS] = 4;
	w(LINUX_HDR_BOOT_FLAG, 0xaa55, 2);
	img[LINUX_HDR_JUMP] = 0xeb;
	img[LINUX_HDR_JUMP + 1] = 0x6a; /* header ends at 0x26c */
	w(LINUX_HDR_MAGIC, LINUX_MAGIC, 4);
	w(LINUX_HDR_VERSION, 0x020f, 2);
	img[LINUX_HDR_LOADFLAGS] = LINUX_LOADED_HIGH | 0x40; /* and the obsolete KEEP_SEGMENTS */
	w(LINUX_HDR_INITRD_ADDR_MAX, 0x7fffffff, 4);
	w(LINUX_HDR_KERNEL_ALIGNMENT, 2 * MiB, 4);
	img[LINUX_HDR_RELOCATABLE] = 1;
	w(LINUX_HDR_XLOADFLAGS, LINUX_XLF_KERNEL_64, 2);
	w(LINUX_HDR_CMDLINE_SIZE, 2047, 4);
	w(LINUX_HDR_PREF_ADDRESS, 16 * MiB, 8);
	w(LINUX_HDR_INIT_SIZE, 40 * MiB, 4);
	return IMG_SIZE;
}

static void expect_header_error(u64 size, const char *message)
{
	assert_int_equal(linux_parse_header(img, size, &hdr, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void test_header_is_read(void **state)
{
	u64 size = make_bzimage();

	assert_true(linux_is_bzimage(img, size));
	assert_int_equal(linux_parse_header(img, size, &hdr, err, sizeof(err)), 0);
	assert_int_equal(hdr.version, 0x020f);
	assert_int_equal(hdr.setup_size, SETUP_SIZE);
	assert_int_equal(hdr.kernel_size, IMG_SIZE - SETUP_SIZE);
	assert_int_equal(hdr.header_end, 0x26c);
	assert_true(hdr.relocatable);
	assert_int_equal(hdr.kernel_alignment, 2 * MiB);
	assert_int_equal(hdr.pref_address, 16 * MiB);
	assert_int_equal(hdr.init_size, 40 * MiB);
	assert_int_equal(hdr.initrd_addr_max, 0x7fffffff);
	assert_int_equal(hdr.cmdline_size, 2047);
	assert_int_equal(hdr.xloadflags, LINUX_XLF_KERNEL_64);
	img[LINUX_HDR_SETUP_SECTS] = 0; /* 0 means 4 */
	assert_int_equal(linux_parse_header(img, size, &hdr, err, sizeof(err)), 0);
	assert_int_equal(hdr.setup_size, SETUP_SIZE);
	/* before 2.12 there are no xloadflags: whatever is there is not read */
	w(LINUX_HDR_VERSION, 0x020b, 2);
	assert_int_equal(linux_parse_header(img, size, &hdr, err, sizeof(err)), 0);
	assert_int_equal(hdr.xloadflags, 0);
}

static void test_header_rejections(void **state)
{
	u64 size = make_bzimage();

	img[LINUX_HDR_MAGIC] = 'h';
	assert_false(linux_is_bzimage(img, size));
	expect_header_error(size, "not a Linux bzImage: no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202");
	make_bzimage();
	w(LINUX_HDR_BOOT_FLAG, 0, 2);
	expect_header_error(size, "not a Linux bzImage: no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202");
	make_bzimage();
	expect_header_error(0x240, "Linux setup header truncated: the file has 576 bytes");
	w(LINUX_HDR_VERSION, 0x0209, 2);
	expect_header_error(size, "Linux boot protocol 2.09 is too old: this loader needs 2.10 or later "
				  "(init_size and pref_address)");
	make_bzimage();
	img[LINUX_HDR_LOADFLAGS] = 0;
	expect_header_error(size, "a zImage (loadflags without LOADED_HIGH, kernel below 1 MiB) is not supported");
	make_bzimage();
	img[LINUX_HDR_JUMP + 1] = 0x10;
	expect_header_error(size, "Linux setup header end 0x212 lies outside 0x264..0xa00 (the setup code)");
	make_bzimage();
	expect_header_error(SETUP_SIZE, "no protected-mode kernel: the 2560 setup bytes fill the 2560-byte file");
	w(LINUX_HDR_KERNEL_ALIGNMENT, 3 * MiB, 4);
	expect_header_error(size, "kernel_alignment 0x300000 is not a power of two of at least 4 KiB");
	make_bzimage();
	w(LINUX_HDR_INIT_SIZE, 0x1000, 4);
	expect_header_error(size, "init_size 0x1000 is smaller than the 0x7600-byte protected-mode kernel");
}

static int plan(u64 ram, u64 cmdline_len, u64 initrd_size)
{
	assert_int_equal(linux_parse_header(img, IMG_SIZE, &hdr, err, sizeof(err)), 0);
	strcpy(err, "untouched");
	return linux_plan(&hdr, ram, cmdline_len, initrd_size, 0x9000, 0x8000, &lay, err, sizeof(err));
}

static void test_kernel_placement(void **state)
{
	make_bzimage();
	assert_int_equal(plan(256 * MiB, 10, 0), 0); /* at its preferred address */
	assert_int_equal(lay.kernel_addr, 16 * MiB);
	assert_true(lay.entry64);
	assert_int_equal(lay.entry, 16 * MiB + 0x200);
	assert_int_equal(lay.zero_page, 0x9000);
	assert_int_equal(lay.cmdline, 0x8000);
	assert_int_equal(lay.initrd_size, 0);
	assert_int_equal(plan(56 * MiB, 10, 0), 0); /* exactly fits at 16 MiB */
	assert_int_equal(lay.kernel_addr, 16 * MiB);
	assert_int_equal(plan(48 * MiB, 10, 0), 0); /* relocated to the lowest 2 MiB boundary above 1 MiB */
	assert_int_equal(lay.kernel_addr, 2 * MiB);
	assert_int_equal(plan(40 * MiB, 10, 0), -1);
	assert_string_equal(err, "the kernel needs 0x2800000 bytes (init_size) from 0x200000: more than the RAM "
				 "below 0x2800000");
	img[LINUX_HDR_RELOCATABLE] = 0;
	assert_int_equal(plan(48 * MiB, 10, 0), -1);
	assert_string_equal(err, "the kernel is not relocatable and 0x2800000 bytes (init_size) at its preferred "
				 "address 0x1000000 do not fit below 0x3000000 (the end of low RAM)");
	assert_int_equal(plan(8 * GiB, 10, 0), 0); /* high RAM does not matter: low RAM ends at the hole */
	assert_int_equal(lay.kernel_addr, 16 * MiB);
	w(LINUX_HDR_XLOADFLAGS, 0, 2); /* no 64-bit entry: the 32-bit one at the load address */
	assert_int_equal(plan(256 * MiB, 10, 0), 0);
	assert_false(lay.entry64);
	assert_int_equal(lay.entry, 16 * MiB);
	assert_int_equal(plan(256 * MiB, 2048, 0), -1);
	assert_string_equal(err, "the command line of 2048 bytes is longer than the kernel's cmdline_size 2047");
	assert_int_equal(plan(256 * MiB, 2047, 0), 0);
}

static void test_initrd_placement(void **state)
{
	make_bzimage();
	assert_int_equal(plan(256 * MiB, 10, 1000 * 1000), 0); /* at the top of RAM, page-aligned */
	assert_int_equal(lay.initrd_addr, ALIGN_DOWN(256 * MiB - 1000 * 1000, 4096));
	assert_int_equal(lay.initrd_size, 1000 * 1000);
	w(LINUX_HDR_INITRD_ADDR_MAX, 128 * MiB - 1, 4); /* below initrd_addr_max */
	assert_int_equal(plan(256 * MiB, 10, 4 * MiB), 0);
	assert_int_equal(lay.initrd_addr, 124 * MiB);
	assert_int_equal(plan(8 * GiB, 10, 4 * MiB), 0);
	assert_int_equal(lay.initrd_addr, 124 * MiB);
	assert_int_equal(plan(72 * MiB, 10, 16 * MiB), 0); /* right after the kernel's init_size */
	assert_int_equal(lay.initrd_addr, 56 * MiB);
	assert_int_equal(plan(72 * MiB, 10, 16 * MiB + 1), -1);
	assert_string_equal(err, "the initrd of 16777217 bytes does not fit between the kernel's end 0x3800000 "
				 "and 0x4800000 (the end of low RAM or initrd_addr_max)");
	assert_int_equal(plan(72 * MiB, 10, 200 * MiB), -1);
}

static struct e820_table map;

static void expect_map(const struct e820_entry *want, u32 n)
{
	assert_int_equal(map.count, n);
	for (u32 i = 0; i < n; i++) {
		assert_int_equal(map.e[i].addr, want[i].addr);
		assert_int_equal(map.e[i].size, want[i].size);
		assert_int_equal(map.e[i].type, want[i].type);
	}
}

static void test_e820_add_cuts_and_sorts(void **state)
{
	map.count = 0;
	assert_true(e820_add(&map, 0x100000, 0x900000, E820_RAM));
	assert_true(e820_add(&map, 0, 0x1000, E820_RAM));                /* before */
	assert_true(e820_add(&map, 0x400000, 0x1000, E820_ACPI));        /* in the middle: cut in three */
	assert_true(e820_add(&map, 0x9ff000, 0x2000, E820_NVS));         /* across the end */
	assert_true(e820_add(&map, 0x100000, 0x1000, E820_RESERVED));    /* at the start */
	const struct e820_entry want[] = {
		{ 0, 0x1000, E820_RAM },
		{ 0x100000, 0x1000, E820_RESERVED },
		{ 0x101000, 0x2ff000, E820_RAM },
		{ 0x400000, 0x1000, E820_ACPI },
		{ 0x401000, 0x5fe000, E820_RAM },
		{ 0x9ff000, 0x2000, E820_NVS },
	};
	expect_map(want, 6);
	assert_true(e820_add(&map, 0, 0x2000000, E820_RAM)); /* over everything */
	const struct e820_entry all[] = { { 0, 0x2000000, E820_RAM } };
	expect_map(all, 1);
	map.count = 0;
	for (u32 i = 0; i < E820_MAX_ENTRIES; i++)
		assert_true(e820_add(&map, i * 0x2000ull, 0x1000, E820_RAM));
	assert_false(e820_add(&map, 0x1000, 0x10, E820_ACPI)); /* would need 130: the table is unchanged */
	assert_int_equal(map.count, E820_MAX_ENTRIES);
	assert_int_equal(map.e[0].size, 0x1000);
}

static void test_vm_map(void **state)
{
	assert_true(linux_e820_build(256 * MiB, NULL, 0, &map));
	const struct e820_entry small[] = {
		{ 0, 0xa0000, E820_RAM },
		{ 0xa0000, 0x60000, E820_RESERVED },
		{ 0x100000, 255 * MiB, E820_RAM },
		{ 3 * GiB, 1 * GiB, E820_RESERVED },
	};
	expect_map(small, 4);
	/* above 3 GiB RAM continues from 4 GiB; the ACPI hook's ranges go over RAM */
	const struct e820_entry acpi[] = { { 3 * GiB - 0x10000, 0x10000, E820_ACPI } };
	assert_true(linux_e820_build(5 * GiB, acpi, 1, &map));
	const struct e820_entry big[] = {
		{ 0, 0xa0000, E820_RAM },
		{ 0xa0000, 0x60000, E820_RESERVED },
		{ 0x100000, 3 * GiB - 0x10000 - 0x100000, E820_RAM },
		{ 3 * GiB - 0x10000, 0x10000, E820_ACPI },
		{ 3 * GiB, 1 * GiB, E820_RESERVED },
		{ 4 * GiB, 2 * GiB, E820_RAM },
	};
	expect_map(big, 6);
}

static void test_zero_page(void **state)
{
	static u8 page[LINUX_BP_SIZE];

	make_bzimage();
	img[LINUX_HDR_SETUP_SECTS + 1] = 0x5a; /* root_flags: the header is copied as it is */
	assert_int_equal(plan(256 * MiB, 10, 4096), 0);
	assert_true(linux_e820_build(256 * MiB, NULL, 0, &map));
	memset(page, 0xcc, sizeof(page));
	linux_zero_page(img, &hdr, &lay, &map, 0xe0000, page);
	assert_int_equal(page[0], 0);           /* outside the header: zero */
	assert_int_equal(page[0x1ef], 0);       /* the sentinel */
	assert_int_equal(page[0x26c], 0);       /* after the header */
	assert_int_equal(page[LINUX_HDR_SETUP_SECTS + 1], 0x5a);
	assert_int_equal(r(page + LINUX_HDR_MAGIC, 4), LINUX_MAGIC);
	assert_int_equal(r(page + LINUX_HDR_INIT_SIZE, 4), 40 * MiB);
	assert_int_equal(r(page + LINUX_HDR_VID_MODE, 2), 0xffff);
	assert_int_equal(page[LINUX_HDR_TYPE_OF_LOADER], 0xff);
	assert_int_equal(page[LINUX_HDR_LOADFLAGS], LINUX_LOADED_HIGH); /* KEEP_SEGMENTS cleared */
	assert_int_equal(r(page + LINUX_HDR_CODE32_START, 4), 16 * MiB);
	assert_int_equal(r(page + LINUX_HDR_RAMDISK_IMAGE, 4), 256 * MiB - 4096);
	assert_int_equal(r(page + LINUX_HDR_RAMDISK_SIZE, 4), 4096);
	assert_int_equal(r(page + LINUX_BP_EXT_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(r(page + LINUX_HDR_CMD_LINE_PTR, 4), 0x8000);
	assert_int_equal(r(page + LINUX_BP_ACPI_RSDP_ADDR, 8), 0xe0000);
	assert_int_equal(page[LINUX_BP_E820_ENTRIES], 4);
	const u8 *e = page + LINUX_BP_E820_TABLE + 2 * E820_ENTRY_SIZE; /* packed, 20 bytes each */
	assert_int_equal(r(e, 8), 0x100000);
	assert_int_equal(r(e + 8, 8), 255 * MiB);
	assert_int_equal(r(e + 16, 4), E820_RAM);
	assert_int_equal(r(e + E820_ENTRY_SIZE, 8), 3 * GiB);
}

/* Kind detection: a bzImage is kind linux, its mode from XLF_KERNEL_64. */
static void test_detected_as_linux(void **state)
{
	struct guest_image_params p = { .kind = GUEST_IMAGE_DETECT, .ram_size = 256 * MiB };
	struct guest_load_plan gp;

	make_bzimage();
	assert_int_equal(guest_image_plan(img, IMG_SIZE, &p, &gp, err, sizeof(err)), 0);
	assert_int_equal(gp.kind, GUEST_IMAGE_LINUX);
	assert_int_equal(gp.mode, GUEST_MODE_LONG64);
	assert_int_equal(gp.nsegments, 0);
	w(LINUX_HDR_VERSION, 0x0200, 2);
	assert_int_equal(guest_image_plan(img, IMG_SIZE, &p, &gp, err, sizeof(err)), -1);
	p.kind = GUEST_IMAGE_LINUX;
	img[LINUX_HDR_MAGIC] = 0;
	assert_int_equal(guest_image_plan(img, IMG_SIZE, &p, &gp, err, sizeof(err)), -1);
	assert_string_equal(err, "not a Linux bzImage: no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202");
}

/* Debian's kernel as tools/linux-images.sh fetches it (LINUX_BZIMAGE, or build/linux/bzImage). */
static void test_debian_kernel(void **state)
{
	const char *path = getenv("LINUX_BZIMAGE") ? getenv("LINUX_BZIMAGE") : "build/linux/bzImage";
	FILE *f = fopen(path, "rb");
	static u8 head[64 * 1024];
	size_t n;
	long size;

	if (!f) {
		printf("# %s absent (make linux-images): skipped\n", path);
		skip();
	}
	n = fread(head, 1, sizeof(head), f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	assert_true(n == sizeof(head));
	/* only the header is parsed; the file size is the real one */
	assert_int_equal(linux_parse_header(head, (u64)size, &hdr, err, sizeof(err)), 0);
	assert_true(hdr.version >= 0x020c);
	assert_true(hdr.xloadflags & LINUX_XLF_KERNEL_64);
	assert_true(hdr.relocatable);
	assert_int_equal(linux_plan(&hdr, 256 * MiB, 100, 2 * MiB, 0x9000, 0x8000, &lay, err, sizeof(err)), 0);
	assert_int_equal(lay.kernel_addr, hdr.pref_address);
	assert_true(lay.initrd_addr >= lay.kernel_addr + hdr.init_size);
	printf("# %s: protocol %u.%02u, pref_address 0x%lx, init_size 0x%lx, alignment 0x%lx\n", path,
	       hdr.version >> 8, hdr.version & 0xff, (unsigned long)hdr.pref_address,
	       (unsigned long)hdr.init_size, (unsigned long)hdr.kernel_alignment);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_is_read),
		cmocka_unit_test(test_header_rejections),
		cmocka_unit_test(test_kernel_placement),
		cmocka_unit_test(test_initrd_placement),
		cmocka_unit_test(test_e820_add_cuts_and_sorts),
		cmocka_unit_test(test_vm_map),
		cmocka_unit_test(test_zero_page),
		cmocka_unit_test(test_detected_as_linux),
		cmocka_unit_test(test_debian_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
