/*
 * The Linux x86 boot protocol (hv/runner/linux_boot.h). Every number read
 * from the image is checked against the file size before use.
 */
#include "hv/runner/linux_boot.h"
#include "hv/runner/guest_image.h"
#include "hv/console/printf.h"
#include "kstring.h"

#define HEADER_MIN_END (LINUX_HDR_INIT_SIZE + 4) /* a 2.10 header reaches init_size */
#define BOOT_FLAG 0xaa55
#define LEGACY_LOW_END 0xa0000ull  /* conventional memory ends at 640 KiB */
#define LEGACY_HIGH_END 0x100000ull
#define KEEP_SEGMENTS 0x40         /* loadflags: obsolete, a loader must clear it */
#define VID_MODE_NORMAL 0xffff

static u64 rd(const u8 *p, unsigned bytes)
{
	u64 v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void wr(u8 *p, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (u8)(v >> (8 * i));
}

bool linux_is_bzimage(const u8 *image, u64 size)
{
	return size >= LINUX_HDR_MAGIC + 4 && rd(image + LINUX_HDR_BOOT_FLAG, 2) == BOOT_FLAG &&
	       rd(image + LINUX_HDR_MAGIC, 4) == LINUX_MAGIC;
}

/* The fields every accepted kernel has (protocol 2.10 and later). */
static void read_fields(const u8 *img, struct linux_header *h)
{
	u64 sects = img[LINUX_HDR_SETUP_SECTS];

	h->version = (u16)rd(img + LINUX_HDR_VERSION, 2);
	h->setup_size = ((sects ? sects : 4) + 1) * 512; /* 0 means 4 (boot.rst) */
	h->header_end = LINUX_HDR_MAGIC + img[LINUX_HDR_JUMP + 1];
	h->loadflags = img[LINUX_HDR_LOADFLAGS];
	h->xloadflags = h->version >= LINUX_64BIT_MIN_VERSION ? (u16)rd(img + LINUX_HDR_XLOADFLAGS, 2) : 0;
	h->relocatable = img[LINUX_HDR_RELOCATABLE] != 0;
	h->kernel_alignment = rd(img + LINUX_HDR_KERNEL_ALIGNMENT, 4);
	h->pref_address = rd(img + LINUX_HDR_PREF_ADDRESS, 8);
	h->init_size = rd(img + LINUX_HDR_INIT_SIZE, 4);
	h->initrd_addr_max = rd(img + LINUX_HDR_INITRD_ADDR_MAX, 4);
	h->cmdline_size = rd(img + LINUX_HDR_CMDLINE_SIZE, 4);
}

int linux_parse_header(const u8 *img, u64 size, struct linux_header *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (!linux_is_bzimage(img, size)) {
		ksnprintf(err, errlen, "not a Linux bzImage: no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202");
		return -1;
	}
	if (size < HEADER_MIN_END) {
		ksnprintf(err, errlen, "Linux setup header truncated: the file has %lu bytes", size);
		return -1;
	}
	read_fields(img, h);
	if (h->version < LINUX_MIN_VERSION) {
		ksnprintf(err, errlen, "Linux boot protocol %u.%02u is too old: this loader needs 2.10 or later "
			  "(init_size and pref_address)", h->version >> 8, h->version & 0xff);
		return -1;
	}
	if (!(h->loadflags & LINUX_LOADED_HIGH)) {
		ksnprintf(err, errlen, "a zImage (loadflags without LOADED_HIGH, kernel below 1 MiB) is not supported");
		return -1;
	}
	if (h->header_end < HEADER_MIN_END || h->header_end > h->setup_size) {
		ksnprintf(err, errlen, "Linux setup header end 0x%lx lies outside 0x%x..0x%lx (the setup code)",
			  h->header_end, HEADER_MIN_END, h->setup_size);
		return -1;
	}
	if (h->setup_size >= size) {
		ksnprintf(err, errlen, "no protected-mode kernel: the %lu setup bytes fill the %lu-byte file",
			  h->setup_size, size);
		return -1;
	}
	h->kernel_size = size - h->setup_size;
	if (h->kernel_alignment < PAGE_SIZE || (h->kernel_alignment & (h->kernel_alignment - 1))) {
		ksnprintf(err, errlen, "kernel_alignment 0x%lx is not a power of two of at least 4 KiB",
			  h->kernel_alignment);
		return -1;
	}
	if (h->init_size < h->kernel_size) {
		ksnprintf(err, errlen, "init_size 0x%lx is smaller than the 0x%lx-byte protected-mode kernel",
			  h->init_size, h->kernel_size);
		return -1;
	}
	return 0;
}

/* The load address: pref_address when the kernel fits there, else the lowest aligned one if relocatable. */
static int place_kernel(const struct linux_header *h, u64 low_end, struct linux_layout *l, char *err,
			size_t errlen)
{
	u64 lowest = ALIGN_UP(LEGACY_HIGH_END, h->kernel_alignment);

	if (h->pref_address >= LEGACY_HIGH_END && h->pref_address <= low_end &&
	    h->init_size <= low_end - h->pref_address) {
		l->kernel_addr = h->pref_address;
		return 0;
	}
	if (!h->relocatable) {
		ksnprintf(err, errlen, "the kernel is not relocatable and 0x%lx bytes (init_size) at its preferred "
			  "address 0x%lx do not fit below 0x%lx (the end of low RAM)", h->init_size,
			  h->pref_address, low_end);
		return -1;
	}
	if (lowest > low_end || h->init_size > low_end - lowest) {
		ksnprintf(err, errlen, "the kernel needs 0x%lx bytes (init_size) from 0x%lx: more than the RAM "
			  "below 0x%lx", h->init_size, lowest, low_end);
		return -1;
	}
	l->kernel_addr = lowest;
	return 0;
}

/* The initrd as high as allowed, page-aligned, above everything the kernel needs. */
static int place_initrd(const struct linux_header *h, u64 low_end, u64 size, struct linux_layout *l,
			char *err, size_t errlen)
{
	u64 top = MIN(low_end, h->initrd_addr_max + 1), floor = l->kernel_addr + h->init_size;

	if (size == 0)
		return 0;
	if (size > top || ALIGN_DOWN(top - size, PAGE_SIZE) < floor) {
		ksnprintf(err, errlen, "the initrd of %lu bytes does not fit between the kernel's end 0x%lx and "
			  "0x%lx (the end of low RAM or initrd_addr_max)", size, floor, top);
		return -1;
	}
	l->initrd_addr = ALIGN_DOWN(top - size, PAGE_SIZE);
	l->initrd_size = size;
	return 0;
}

int linux_plan(const struct linux_header *h, u64 low_end, u64 cmdline_len, u64 initrd_size,
	       u64 zero_page, u64 cmdline, struct linux_layout *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (cmdline_len > h->cmdline_size) {
		ksnprintf(err, errlen, "the command line of %lu bytes is longer than the kernel's cmdline_size %lu",
			  cmdline_len, h->cmdline_size);
		return -1;
	}
	low_end = MIN(low_end, GUEST_HOLE_START);
	if (place_kernel(h, low_end, l, err, errlen) || place_initrd(h, low_end, initrd_size, l, err, errlen))
		return -1;
	l->entry64 = h->xloadflags & LINUX_XLF_KERNEL_64;
	l->entry = l->kernel_addr + (l->entry64 ? LINUX_ENTRY64_OFFSET : 0);
	l->zero_page = zero_page;
	l->cmdline = cmdline;
	return 0;
}

/* --- E820 --- */

static bool push(struct e820_table *t, u64 addr, u64 size, u32 type)
{
	if (size == 0)
		return true;
	if (t->count == E820_MAX_ENTRIES)
		return false;
	t->e[t->count++] = (struct e820_entry){ addr, size, type };
	return true;
}

bool e820_add(struct e820_table *t, u64 addr, u64 size, u32 type)
{
	static struct e820_table out; /* VMs are loaded one at a time; too big for a kernel stack */
	u64 end = addr + size;
	bool placed = false, fits = true;

	out.count = 0;
	for (u32 i = 0; i < t->count; i++) {
		const struct e820_entry *e = &t->e[i];
		u64 e_end = e->addr + e->size;
		if (e_end <= addr || e->addr >= end) { /* untouched: keep the order */
			if (!placed && e->addr >= end)
				fits &= placed = push(&out, addr, size, type);
			fits &= push(&out, e->addr, e->size, e->type);
			continue;
		}
		if (e->addr < addr)
			fits &= push(&out, e->addr, addr - e->addr, e->type);
		if (!placed)
			fits &= placed = push(&out, addr, size, type);
		if (e_end > end)
			fits &= push(&out, end, e_end - end, e->type);
	}
	if (!placed)
		fits &= push(&out, addr, size, type);
	if (fits)
		*t = out;
	return fits;
}

bool linux_e820_build(u64 ram_size, const struct e820_entry *extra, u32 nextra, struct e820_table *t)
{
	u64 low = MIN(ram_size, GUEST_HOLE_START);
	bool ok = true;

	t->count = 0;
	ok &= e820_add(t, 0, MIN(low, LEGACY_LOW_END), E820_RAM);
	ok &= e820_add(t, LEGACY_LOW_END, LEGACY_HIGH_END - LEGACY_LOW_END, E820_RESERVED);
	if (low > LEGACY_HIGH_END)
		ok &= e820_add(t, LEGACY_HIGH_END, low - LEGACY_HIGH_END, E820_RAM);
	ok &= e820_add(t, GUEST_HOLE_START, GUEST_HOLE_END - GUEST_HOLE_START, E820_RESERVED);
	if (ram_size > low)
		ok &= e820_add(t, GUEST_HOLE_END, ram_size - low, E820_RAM);
	for (u32 i = 0; i < nextra; i++)
		ok &= e820_add(t, extra[i].addr, extra[i].size, extra[i].type);
	return ok;
}

/* --- the zero page --- */

void linux_zero_page(const u8 *image, const struct linux_header *h, const struct linux_layout *l,
		     const struct e820_table *map, u64 acpi_rsdp, u8 page[LINUX_BP_SIZE])
{
	memset(page, 0, LINUX_BP_SIZE);
	memcpy(page + LINUX_HDR_SETUP_SECTS, image + LINUX_HDR_SETUP_SECTS,
	       h->header_end - LINUX_HDR_SETUP_SECTS);
	wr(page + LINUX_HDR_VID_MODE, VID_MODE_NORMAL, 2);
	page[LINUX_HDR_TYPE_OF_LOADER] = LINUX_LOADER_UNDEFINED;
	page[LINUX_HDR_LOADFLAGS] = h->loadflags & ~KEEP_SEGMENTS;
	wr(page + LINUX_HDR_CODE32_START, l->kernel_addr, 4);
	wr(page + LINUX_HDR_RAMDISK_IMAGE, l->initrd_addr, 4);
	wr(page + LINUX_HDR_RAMDISK_SIZE, l->initrd_size, 4);
	wr(page + LINUX_BP_EXT_RAMDISK_IMAGE, l->initrd_addr >> 32, 4);
	wr(page + LINUX_BP_EXT_RAMDISK_SIZE, l->initrd_size >> 32, 4);
	wr(page + LINUX_HDR_CMD_LINE_PTR, l->cmdline, 4);
	wr(page + LINUX_BP_EXT_CMD_LINE_PTR, l->cmdline >> 32, 4);
	wr(page + LINUX_BP_ACPI_RSDP_ADDR, acpi_rsdp, 8);
	page[LINUX_BP_E820_ENTRIES] = (u8)map->count;
	for (u32 i = 0; i < map->count; i++) {
		u8 *e = page + LINUX_BP_E820_TABLE + i * E820_ENTRY_SIZE;
		wr(e, map->e[i].addr, 8);
		wr(e + 8, map->e[i].size, 8);
		wr(e + 16, map->e[i].type, 4);
	}
}
