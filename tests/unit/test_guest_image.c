/* Guest image parsing: crafted ELF32/ELF64, Multiboot and flat images, and every rejection. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/runner/guest_image.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static u8 img[64 * 1024];
static struct guest_load_plan plan;
static char err[256];

static void w16(u64 off, u64 v) { for (int i = 0; i < 2; i++) img[off + i] = (u8)(v >> (8 * i)); }
static void w32(u64 off, u64 v) { for (int i = 0; i < 4; i++) img[off + i] = (u8)(v >> (8 * i)); }
static void w64(u64 off, u64 v) { for (int i = 0; i < 8; i++) img[off + i] = (u8)(v >> (8 * i)); }

struct ph { u32 type; u64 off, vaddr, paddr, filesz, memsz; };

/* Writes an ELF header and program headers (right after it); returns the file size. */
static u64 make_elf(bool is64, u16 machine, u64 entry, const struct ph *ph, int n)
{
	u64 ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, size = ehsize + n * phentsize;
	memset(img, 0, sizeof(img));
	memcpy(img, "\x7f" "ELF", 4);
	img[4] = is64 ? 2 : 1;
	img[5] = 1;
	img[6] = 1;
	w16(16, 2);
	w16(18, machine);
	w32(20, 1);
	if (is64) {
		w64(24, entry);
		w64(32, ehsize);
		w16(52, ehsize);
		w16(54, phentsize);
		w16(56, n);
	} else {
		w32(24, entry);
		w32(28, ehsize);
		w16(40, ehsize);
		w16(42, phentsize);
		w16(44, n);
	}
	for (int i = 0; i < n; i++) {
		u64 p = ehsize + i * phentsize;
		w32(p, ph[i].type);
		if (is64) {
			w64(p + 8, ph[i].off);
			w64(p + 16, ph[i].vaddr);
			w64(p + 24, ph[i].paddr);
			w64(p + 32, ph[i].filesz);
			w64(p + 40, ph[i].memsz);
		} else {
			w32(p + 4, ph[i].off);
			w32(p + 8, ph[i].vaddr);
			w32(p + 12, ph[i].paddr);
			w32(p + 16, ph[i].filesz);
			w32(p + 20, ph[i].memsz);
		}
		size = MAX(size, ph[i].off + ph[i].filesz);
	}
	return size;
}

static int plan_for(u64 size, enum guest_image_kind kind, u64 ram)
{
	struct guest_image_params p = { .kind = kind, .ram_size = ram };
	strcpy(err, "untouched");
	return guest_image_plan(img, size, &p, &plan, err, sizeof(err));
}

static void expect_error(u64 size, enum guest_image_kind kind, const char *message)
{
	assert_int_equal(plan_for(size, kind, 16 * MiB), -1);
	assert_string_equal(err, message);
}

static void expect_segment(u32 i, u64 gpa, u64 off, u64 filesz, u64 memsz)
{
	assert_true(i < plan.nsegments);
	assert_int_equal(plan.seg[i].gpa, gpa);
	assert_int_equal(plan.seg[i].file_offset, off);
	assert_int_equal(plan.seg[i].file_size, filesz);
	assert_int_equal(plan.seg[i].mem_size, memsz);
}

/* --- ELF --- */

static void test_elf32_text_data_bss(void **state)
{
	const struct ph ph[] = {
		{ 1, 0x1000, 0x100000, 0x100000, 0x800, 0x800 },
		{ 4, 0, 0, 0, 0, 0 },                              /* PT_NOTE: ignored */
		{ 1, 0x2000, 0x101000, 0x101000, 0x100, 0x3000 },  /* data + bss */
		{ 1, 0x2100, 0x200000, 0x200000, 0, 0 },           /* empty: ignored */
	};
	u64 size = make_elf(false, 3, 0x100010, ph, 4);
	assert_int_equal(plan_for(size, GUEST_IMAGE_DETECT, 16 * MiB), 0);
	assert_int_equal(plan.kind, GUEST_IMAGE_ELF);
	assert_int_equal(plan.mode, GUEST_MODE_PROT32);
	assert_int_equal(plan.entry, 0x100010);
	assert_int_equal(plan.nsegments, 2);
	expect_segment(0, 0x100000, 0x1000, 0x800, 0x800);
	expect_segment(1, 0x101000, 0x2000, 0x100, 0x3000);
	assert_int_equal(plan.lowest, 0x100000);
	assert_int_equal(plan.end, 0x104000);
}

static void test_elf64_loads_by_physical_address(void **state)
{
	const struct ph ph[] = { { 1, 0x1000, 0xFFFFFFFF80100000ull, 0x100000, 0x2000, 0x2000 } };
	u64 size = make_elf(true, 62, 0xFFFFFFFF80100040ull, ph, 1);
	assert_int_equal(plan_for(size, GUEST_IMAGE_ELF, 16 * MiB), 0);
	assert_int_equal(plan.mode, GUEST_MODE_LONG64);
	assert_int_equal(plan.entry, 0x100040); /* translated through its segment */
	expect_segment(0, 0x100000, 0x1000, 0x2000, 0x2000);
}

static void test_elf_header_rejections(void **state)
{
	const struct ph ph[] = { { 1, 0x1000, 0x100000, 0x100000, 0x10, 0x10 } };
	u64 size = make_elf(false, 3, 0x100000, ph, 1);

	img[0] = 0x7E;
	expect_error(size, GUEST_IMAGE_ELF, "not an ELF file: bad magic (expected 7f 45 4c 46)");
	expect_error(size, GUEST_IMAGE_DETECT,
		     "cannot tell the kind of image: no Linux setup header, no Multiboot header in the "
		     "first 8 KiB and no ELF magic (for a flat binary give kind=flat, mode= and load=)");
	img[0] = 0x7F;
	img[4] = 3;
	expect_error(size, GUEST_IMAGE_ELF, "unknown ELF class: expected 1 (ELF32) or 2 (ELF64)");
	img[4] = 1;
	img[5] = 2;
	expect_error(size, GUEST_IMAGE_ELF, "not a little-endian ELF file");
	img[5] = 1;
	expect_error(40, GUEST_IMAGE_ELF, "ELF header truncated: the file has 40 bytes, the header needs 52");
	w16(16, 3);
	expect_error(size, GUEST_IMAGE_ELF, "not an executable ELF file: e_type 3, expected 2 (ET_EXEC)");
	w16(16, 2);
	w16(18, 62);
	expect_error(size, GUEST_IMAGE_ELF, "wrong machine 62 for ELF32: expected 3 (i386)");
	size = make_elf(true, 3, 0x100000, ph, 1);
	expect_error(size, GUEST_IMAGE_ELF, "wrong machine 3 for ELF64: expected 62 (x86-64)");
}

static void test_elf_program_header_rejections(void **state)
{
	const struct ph ph[] = { { 1, 0x100, 0x100000, 0x100000, 0x10, 0x10 } };
	u64 size = make_elf(false, 3, 0x100000, ph, 1);

	w16(44, 0);
	expect_error(size, GUEST_IMAGE_ELF, "no program headers");
	w16(44, 1);
	w16(42, 20);
	expect_error(size, GUEST_IMAGE_ELF, "program header size 20 is smaller than 32");
	w16(42, 32);
	w16(44, 7);
	expect_error(size, GUEST_IMAGE_ELF,
		     "program headers truncated: 7 x 32 bytes at offset 0x34 run past the end of the "
		     "0x110-byte file");
	w16(44, 1);
	w32(52, 6); /* PT_PHDR only */
	expect_error(size, GUEST_IMAGE_ELF, "no loadable (PT_LOAD) segments");
}

static void test_elf_segment_rejections(void **state)
{
	struct ph ph[2] = { { 1, 0x100, 0x100000, 0x100000, 0x20, 0x10 } };
	expect_error(make_elf(false, 3, 0x100000, ph, 1), GUEST_IMAGE_ELF,
		     "program header 0: file size 0x20 exceeds memory size 0x10");
	ph[0] = (struct ph){ 1, 0x100, 0x100000, 0x100000, 0x10, 0x10 };
	u64 size = make_elf(false, 3, 0x100000, ph, 1);
	expect_error(size - 1, GUEST_IMAGE_ELF,
		     "program header 0: file bytes 0x100..0x110 run past the end of the 0x10f-byte image");
	ph[0].paddr = 0xFFF000;
	ph[0].memsz = 0x2000;
	expect_error(make_elf(false, 3, 0xFFF000, ph, 1), GUEST_IMAGE_ELF,
		     "program header 0: guest-physical 0xfff000..0x1001000 is outside the guest's RAM "
		     "(0x1000000 bytes)");
	ph[0] = (struct ph){ 1, 0x100, 0x100000, 0x100000, 0x10, 0x2000 };
	ph[1] = (struct ph){ 1, 0x200, 0x101000, 0x101000, 0x10, 0x10 };
	expect_error(make_elf(false, 3, 0x100000, ph, 2), GUEST_IMAGE_ELF,
		     "program header 1: 0x101000..0x101010 overlaps the segment at 0x100000..0x102000");
	ph[1].paddr = ph[1].vaddr = 0x102000;
	expect_error(make_elf(false, 3, 0x200000, ph, 2), GUEST_IMAGE_ELF,
		     "entry point 0x200000 lies in no loaded segment");
	assert_int_equal(plan_for(make_elf(false, 3, 0x102004, ph, 2), GUEST_IMAGE_ELF, 16 * MiB), 0);
}

static void test_elf_too_many_segments(void **state)
{
	struct ph ph[GUEST_IMAGE_MAX_SEGMENTS + 1];
	for (int i = 0; i <= GUEST_IMAGE_MAX_SEGMENTS; i++)
		ph[i] = (struct ph){ 1, 0x1000, 0x100000 + i * 0x1000ull, 0x100000 + i * 0x1000ull, 0x10, 0x10 };
	u64 size = make_elf(false, 3, 0x100000, ph, GUEST_IMAGE_MAX_SEGMENTS);
	assert_int_equal(plan_for(size, GUEST_IMAGE_ELF, 16 * MiB), 0);
	size = make_elf(false, 3, 0x100000, ph, GUEST_IMAGE_MAX_SEGMENTS + 1);
	expect_error(size, GUEST_IMAGE_ELF, "program header 16: more than 16 loadable segments");
}

/* --- Multiboot --- */

/* A Multiboot header at off with the given flags and a correct checksum. */
static void put_mb_header(u64 off, u32 flags)
{
	w32(off, MULTIBOOT_HEADER_MAGIC);
	w32(off + 4, flags);
	w32(off + 8, (u32)-(MULTIBOOT_HEADER_MAGIC + flags));
}

static void put_mb_addresses(u64 off, u32 header, u32 load, u32 load_end, u32 bss_end, u32 entry)
{
	w32(off + 12, header);
	w32(off + 16, load);
	w32(off + 20, load_end);
	w32(off + 24, bss_end);
	w32(off + 28, entry);
}

static void test_multiboot_address_fields(void **state)
{
	memset(img, 0, sizeof(img));
	put_mb_header(0x40, 0x00010003);
	put_mb_addresses(0x40, 0x100040, 0x100000, 0x101000, 0x104000, 0x100080);
	assert_int_equal(plan_for(0x1000, GUEST_IMAGE_DETECT, 16 * MiB), 0);
	assert_int_equal(plan.kind, GUEST_IMAGE_MULTIBOOT);
	assert_int_equal(plan.mode, GUEST_MODE_PROT32);
	assert_int_equal(plan.entry, 0x100080);
	assert_int_equal(plan.multiboot_flags, 0x00010003);
	expect_segment(0, 0x100000, 0, 0x1000, 0x4000);
	/* load_end 0: to the end of the file; bss_end 0: no bss */
	put_mb_addresses(0x40, 0x100040, 0x100000, 0, 0, 0x100080);
	assert_int_equal(plan_for(0x1800, GUEST_IMAGE_MULTIBOOT, 16 * MiB), 0);
	expect_segment(0, 0x100000, 0, 0x1800, 0x1800);
	/* the file may start before load_addr: header_addr - load_addr < header offset */
	put_mb_addresses(0x40, 0x100020, 0x100000, 0x100800, 0, 0x100000);
	assert_int_equal(plan_for(0x1000, GUEST_IMAGE_MULTIBOOT, 16 * MiB), 0);
	expect_segment(0, 0x100000, 0x20, 0x800, 0x800);
}

static void test_multiboot_address_field_rejections(void **state)
{
	memset(img, 0, sizeof(img));
	put_mb_header(0x40, 0x00010000);
	put_mb_addresses(0x40, 0x100040, 0x100100, 0, 0, 0x100100);
	expect_error(0x1000, GUEST_IMAGE_DETECT,
		     "Multiboot header at offset 0x40: load_addr 0x100100 and header_addr 0x100040 put "
		     "the start of the file before its first byte");
	put_mb_addresses(0x40, 0x100040, 0x100000, 0x101000, 0x100800, 0x100000);
	expect_error(0x1000, GUEST_IMAGE_DETECT,
		     "Multiboot header at offset 0x40: load_addr 0x100000, load_end_addr 0x101000, "
		     "bss_end_addr 0x100800 are out of order");
	put_mb_addresses(0x40, 0x100040, 0x100000, 0x101000, 0, 0x101000);
	expect_error(0x1000, GUEST_IMAGE_DETECT,
		     "Multiboot header at offset 0x40: entry_addr 0x101000 lies outside the loaded range "
		     "0x100000..0x101000");
	put_mb_addresses(0x40, 0x100040, 0x100000, 0x102000, 0, 0x100000);
	expect_error(0x1000, GUEST_IMAGE_DETECT,
		     "Multiboot load range: file bytes 0x0..0x2000 run past the end of the 0x1000-byte image");
	expect_error(0x50, GUEST_IMAGE_DETECT,
		     "Multiboot header at offset 0x40 is truncated: its address fields need 32 bytes");
}

static void test_multiboot_header_rejections(void **state)
{
	memset(img, 0, sizeof(img));
	put_mb_header(0x100, 0x00000003);
	w32(0x108, 0x12345678);
	expect_error(0x1000, GUEST_IMAGE_DETECT,
		     "Multiboot header at offset 0x100 has a bad checksum 0x12345678 (magic + flags + "
		     "checksum must be 0)");
	put_mb_header(0x100, 0x00000007); /* wants a video mode */
	expect_error(0x1000, GUEST_IMAGE_DETECT,
		     "Multiboot header at offset 0x100 requires features 0x4 this loader does not "
		     "provide (supported: page-aligned modules 0x1, memory information 0x2)");
	memset(img, 0, sizeof(img));
	put_mb_header(0x2000, 0x00010000); /* past the first 8 KiB: not a Multiboot image */
	expect_error(0x3000, GUEST_IMAGE_MULTIBOOT,
		     "no Multiboot header (magic 0x1badb002 at a 4-byte boundary) in the first 8 KiB");
	put_mb_header(0x1FFC, 0); /* straddles the end of the file */
	expect_error(0x2000, GUEST_IMAGE_MULTIBOOT,
		     "no Multiboot header (magic 0x1badb002 at a 4-byte boundary) in the first 8 KiB");
}

static void test_multiboot_elf32_kernel(void **state)
{
	const struct ph ph[] = { { 1, 0x1000, 0x100000, 0x100000, 0x1000, 0x2000 } };
	u64 size = make_elf(false, 3, 0x10000C, ph, 1);
	put_mb_header(0x1000, 0x00000003); /* at the start of .text */
	assert_int_equal(plan_for(size, GUEST_IMAGE_DETECT, 16 * MiB), 0);
	assert_int_equal(plan.kind, GUEST_IMAGE_MULTIBOOT);
	assert_int_equal(plan.mode, GUEST_MODE_PROT32);
	assert_int_equal(plan.entry, 0x10000C);
	expect_segment(0, 0x100000, 0x1000, 0x1000, 0x2000);
	/* the same file loaded as plain ELF ignores the header */
	assert_int_equal(plan_for(size, GUEST_IMAGE_ELF, 16 * MiB), 0);
	assert_int_equal(plan.kind, GUEST_IMAGE_ELF);
}

static void test_multiboot_needs_elf32_without_address_fields(void **state)
{
	const struct ph ph[] = { { 1, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 } };
	u64 size = make_elf(true, 62, 0x100000, ph, 1);
	put_mb_header(0x1000, 0x00000002);
	expect_error(size, GUEST_IMAGE_DETECT,
		     "a Multiboot kernel without address fields must be ELF32, this is ELF64");
	memset(img, 0, sizeof(img));
	put_mb_header(0x10, 0x00000002); /* neither ELF nor address fields */
	expect_error(0x100, GUEST_IMAGE_DETECT, "not an ELF file: bad magic (expected 7f 45 4c 46)");
}

/* --- flat --- */

static int plan_flat(u64 size, enum guest_cpu_mode mode, u64 load, u64 entry)
{
	struct guest_image_params p = { .kind = GUEST_IMAGE_FLAT, .ram_size = 16 * MiB,
					.mode = mode, .load_addr = load, .entry = entry };
	return guest_image_plan(img, size, &p, &plan, err, sizeof(err));
}

static void test_flat_images(void **state)
{
	assert_int_equal(plan_flat(512, GUEST_MODE_REAL, 0x7C00, 0), 0);
	assert_int_equal(plan.kind, GUEST_IMAGE_FLAT);
	assert_int_equal(plan.mode, GUEST_MODE_REAL);
	assert_int_equal(plan.entry, 0x7C00);
	expect_segment(0, 0x7C00, 0, 512, 512);
	assert_int_equal(plan_flat(0x3000, GUEST_MODE_LONG64, 0x200000, 0x201000), 0);
	assert_int_equal(plan.entry, 0x201000);
	assert_int_equal(plan.mode, GUEST_MODE_LONG64);

	assert_int_equal(plan_flat(0, GUEST_MODE_PROT32, 0x100000, 0), -1);
	assert_string_equal(err, "the image is empty");
	assert_int_equal(plan_flat(0x1000, GUEST_MODE_PROT32, 0x100000, 0x101000), -1);
	assert_string_equal(err, "entry 0x101000 lies outside the image loaded at 0x100000..0x101000");
	assert_int_equal(plan_flat(0x1000, GUEST_MODE_REAL, 0x100000, 0), -1);
	assert_string_equal(err, "a real-mode entry must lie below 1 MiB, not at 0x100000");
	assert_int_equal(plan_flat(0x1000, GUEST_MODE_PROT32, 16 * MiB - 0x800, 0), -1);
	assert_string_equal(err, "the flat image: guest-physical 0xfff800..0x1000800 is outside the "
				 "guest's RAM (0x1000000 bytes)");
}

/* --- RAM layout, overlaps, loading --- */

static void test_ram_layout_has_a_hole(void **state)
{
	u64 ram = 4 * GiB; /* 3 GiB low, 1 GiB from 4 GiB */
	assert_true(guest_ram_contains(ram, 0, 3 * GiB));
	assert_false(guest_ram_contains(ram, 3 * GiB - 4 * KiB, 8 * KiB));
	assert_true(guest_ram_contains(ram, 4 * GiB, GiB));
	assert_false(guest_ram_contains(ram, 5 * GiB - 4 * KiB, 8 * KiB));
	assert_false(guest_ram_contains(ram, ~0ull - 10, 20)); /* wraps */
	assert_true(guest_ram_contains(16 * MiB, 0, 16 * MiB));
	assert_false(guest_ram_contains(16 * MiB, 4 * GiB, 1));
}

static void test_overlap_query(void **state)
{
	const struct ph ph[] = { { 1, 0x1000, 0x100000, 0x100000, 0x10, 0x2000 } };
	assert_int_equal(plan_for(make_elf(false, 3, 0x100000, ph, 1), GUEST_IMAGE_ELF, 16 * MiB), 0);
	assert_true(guest_plan_overlaps(&plan, 0xFF000, 0x1001));
	assert_false(guest_plan_overlaps(&plan, 0xFF000, 0x1000));
	assert_true(guest_plan_overlaps(&plan, 0x101FFF, 1));
	assert_false(guest_plan_overlaps(&plan, 0x102000, 0x1000));
}

static u8 guest_ram[4 * MiB];

static bool write_guest(void *ctx, u64 gpa, const void *src, u64 len)
{
	if (gpa + len > sizeof(guest_ram))
		return false;
	if (src)
		memcpy(guest_ram + gpa, src, len);
	else
		memset(guest_ram + gpa, 0, len);
	return true;
}

static void test_load_copies_and_zeroes(void **state)
{
	const struct ph ph[] = { { 1, 0x1000, 0x100000, 0x100000, 0x4, 0x1000 },
				 { 1, 0x1004, 0x300000, 0x300000, 0x2, 0x2 } };
	u64 size = make_elf(false, 3, 0x100000, ph, 2);
	memcpy(img + 0x1000, "ABCDEF", 6);
	memset(guest_ram, 0xEE, sizeof(guest_ram));
	assert_int_equal(plan_for(size, GUEST_IMAGE_ELF, 4 * MiB), 0);
	assert_true(guest_image_load(&plan, img, write_guest, NULL));
	assert_memory_equal(guest_ram + 0x100000, "ABCD\0\0", 6);
	assert_int_equal(guest_ram[0x100FFF], 0);
	assert_int_equal(guest_ram[0x101000], 0xEE);
	assert_memory_equal(guest_ram + 0x300000, "EF", 2);
	assert_int_equal(guest_ram[0x300002], 0xEE);
	plan.seg[1].gpa = 8 * MiB; /* a write that fails is reported */
	assert_false(guest_image_load(&plan, img, write_guest, NULL));
}

/* Modules go after the image and the loader's areas, with the checks the image gets. */
static void test_module_placement(void **state)
{
	struct guest_load_plan plan = { .nsegments = 1, .seg = { { .gpa = 0, .mem_size = 0x800 } },
					.lowest = 0, .end = 0x800 };
	u64 sizes[3] = { 0x10, 0x1001, 0x20 }, starts[3];

	/* An image below the GDT: the first module lands after the loader's areas, not at 0x1000. */
	assert_int_equal(guest_place_modules(&plan, 0xa000, 16 << 20, sizes, 3, starts), 3);
	assert_int_equal(starts[0], 0xa000);
	assert_int_equal(starts[1], 0xb000);
	assert_int_equal(starts[2], 0xd000);

	/* Past the end of RAM, into the hole, or wrapping around: the module's index. */
	u64 big[2] = { 0x10, 16 << 20 };
	assert_int_equal(guest_place_modules(&plan, 0xa000, 16 << 20, big, 2, starts), 1);
	plan.seg[0] = (struct guest_segment){ .gpa = GUEST_HOLE_START - 0x2000, .mem_size = 0x1000 };
	plan.end = GUEST_HOLE_START - 0x1000;
	u64 into_hole[1] = { 0x2000 };
	assert_int_equal(guest_place_modules(&plan, 0xa000, 8ull << 30, into_hole, 1, starts), 0);
	u64 wrap[1] = { ~0ull - 0x100 };
	assert_int_equal(guest_place_modules(&plan, 0xa000, 8ull << 30, wrap, 1, starts), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf32_text_data_bss),
		cmocka_unit_test(test_elf64_loads_by_physical_address),
		cmocka_unit_test(test_elf_header_rejections),
		cmocka_unit_test(test_elf_program_header_rejections),
		cmocka_unit_test(test_elf_segment_rejections),
		cmocka_unit_test(test_elf_too_many_segments),
		cmocka_unit_test(test_multiboot_address_fields),
		cmocka_unit_test(test_multiboot_address_field_rejections),
		cmocka_unit_test(test_multiboot_header_rejections),
		cmocka_unit_test(test_multiboot_elf32_kernel),
		cmocka_unit_test(test_multiboot_needs_elf32_without_address_fields),
		cmocka_unit_test(test_flat_images),
		cmocka_unit_test(test_ram_layout_has_a_hole),
		cmocka_unit_test(test_overlap_query),
		cmocka_unit_test(test_module_placement),
		cmocka_unit_test(test_load_copies_and_zeroes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
