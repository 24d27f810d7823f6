/*
 * Layout of the block: the fixed 116-byte structure, the module list, the
 * memory map, then the strings it points to.
 */
#include "hv/runner/multiboot_info.h"
#include "hv/runner/guest_image.h"
#include "kstring.h"
#include "hv/console/printf.h"

#define LOW_RAM_END (640ull << 10)
#define HIGH_RAM_START (1ull << 20)
#define LOADER_NAME "hv"
#define MMAP_AVAILABLE 1

static void wr32(u8 *p, u64 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void wr64(u8 *p, u64 v)
{
	wr32(p, v);
	wr32(p + 4, v >> 32);
}

/* The RAM ranges of the guest's layout: below 640 KiB, 1 MiB up to the hole, above 4 GiB. */
static u32 ram_ranges(u64 ram, u64 base[3], u64 len[3])
{
	u32 n = 0;
	u64 low = MIN(ram, GUEST_HOLE_START);
	if (ram) {
		base[n] = 0;
		len[n++] = MIN(ram, LOW_RAM_END);
	}
	if (low > HIGH_RAM_START) {
		base[n] = HIGH_RAM_START;
		len[n++] = low - HIGH_RAM_START;
	}
	if (ram > GUEST_HOLE_START) {
		base[n] = GUEST_HOLE_END;
		len[n++] = ram - GUEST_HOLE_START;
	}
	return n;
}

/* Bytes the block needs: the fixed part, modules, map and NUL-terminated strings. */
static u64 block_size(const struct mb_info_params *p, u32 nranges)
{
	u64 size = MBI_SIZE + (u64)p->nmodules * MBI_MODULE_SIZE + nranges * MBI_MMAP_ENTRY_SIZE;
	size += strlen(p->name) + 1 + (p->args && *p->args ? strlen(p->args) + 1 : 0);
	size += sizeof(LOADER_NAME);
	for (u32 i = 0; i < p->nmodules; i++)
		size += strlen(p->modules[i].name) + 1;
	return size;
}

/* Appends a string at *at; returns its guest address. */
static u32 put_string(u8 *buf, u32 *at, u32 base_gpa, const char *s)
{
	u32 gpa = base_gpa + *at, n = (u32)strlen(s);
	memcpy(buf + *at, s, n);
	buf[*at + n] = 0;
	*at += n + 1;
	return gpa;
}

static int check_fits(const struct mb_info_params *p, u32 base_gpa, u64 size, u32 cap,
		      char *err, size_t errlen)
{
	if (size > cap) {
		ksnprintf(err, errlen, "the Multiboot information needs %lu bytes, the buffer holds %u",
			  size, cap);
		return -1;
	}
	if (base_gpa + size > 0x100000000ull) {
		ksnprintf(err, errlen, "the Multiboot information at 0x%x would cross 4 GiB", base_gpa);
		return -1;
	}
	for (u32 i = 0; i < p->nmodules; i++) {
		if (p->modules[i].end > 0xFFFFFFFFull || p->modules[i].start > p->modules[i].end) {
			ksnprintf(err, errlen, "module '%s' at 0x%lx..0x%lx is not a range below 4 GiB",
				  p->modules[i].name, p->modules[i].start, p->modules[i].end);
			return -1;
		}
	}
	return 0;
}

int multiboot_info_build(const struct mb_info_params *p, u32 base_gpa, u8 *buf, u32 cap,
			 u32 *used, char *err, size_t errlen)
{
	u64 rbase[3], rlen[3];
	u32 nranges = ram_ranges(p->ram_size, rbase, rlen);
	u64 size = block_size(p, nranges);
	u32 at, mods = MBI_SIZE, mmap = mods + p->nmodules * MBI_MODULE_SIZE;

	if (check_fits(p, base_gpa, size, cap, err, errlen))
		return -1;
	memset(buf, 0, (size_t)size);
	wr32(buf + MBI_OFF_FLAGS, MBI_MEMORY | MBI_CMDLINE | MBI_MODULES | MBI_MMAP | MBI_LOADER_NAME);
	wr32(buf + MBI_OFF_MEM_LOWER, MIN(p->ram_size, LOW_RAM_END) >> 10);
	wr32(buf + MBI_OFF_MEM_UPPER, nranges > 1 && rbase[1] == HIGH_RAM_START ? rlen[1] >> 10 : 0);
	wr32(buf + MBI_OFF_MODS_COUNT, p->nmodules);
	wr32(buf + MBI_OFF_MODS_ADDR, base_gpa + mods);
	wr32(buf + MBI_OFF_MMAP_LENGTH, nranges * MBI_MMAP_ENTRY_SIZE);
	wr32(buf + MBI_OFF_MMAP_ADDR, base_gpa + mmap);
	for (u32 i = 0; i < nranges; i++) {
		u8 *entry = buf + mmap + i * MBI_MMAP_ENTRY_SIZE;
		wr32(entry, MBI_MMAP_ENTRY_SIZE - 4); /* size excludes the size field itself */
		wr64(entry + 4, rbase[i]);
		wr64(entry + 12, rlen[i]);
		wr32(entry + 20, MMAP_AVAILABLE);
	}
	at = mmap + nranges * MBI_MMAP_ENTRY_SIZE;

	/* The command line "NAME ARGS": name, then a blank, then args over the NUL. */
	wr32(buf + MBI_OFF_CMDLINE, put_string(buf, &at, base_gpa, p->name));
	if (p->args && *p->args) {
		buf[at - 1] = ' ';
		put_string(buf, &at, base_gpa, p->args);
	}
	wr32(buf + MBI_OFF_LOADER_NAME, put_string(buf, &at, base_gpa, LOADER_NAME));
	for (u32 i = 0; i < p->nmodules; i++) {
		u8 *m = buf + mods + i * MBI_MODULE_SIZE;
		wr32(m, p->modules[i].start);
		wr32(m + 4, p->modules[i].end);
		wr32(m + 8, put_string(buf, &at, base_gpa, p->modules[i].name));
	}
	*used = at;
	return 0;
}
