/*
 * Guest image parsing into a load plan. Every number read from the file is
 * checked against the file size before use; every segment against guest
 * RAM and the other segments (add_segment).
 */
#include "hv/runner/guest_image.h"
#include "hv/runner/linux_boot.h"
#include "kstring.h"
#include "hv/console/printf.h"

#define ELF_PT_LOAD 1
#define ELF_ET_EXEC 2
#define ELF_EM_386 3
#define ELF_EM_X86_64 62
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY (1u << 1)
#define MB_FLAG_ADDRESS (1u << 16)
#define MB_SUPPORTED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY | MB_FLAG_ADDRESS)
#define REAL_MODE_LIMIT (1ull << 20)

struct parser {
	const u8 *img;
	u64 size;
	const struct guest_image_params *p;
	struct guest_load_plan *plan;
	char *err; /* the error message, errlen bytes */
	size_t errlen;
};

/* Little-endian reads; callers have checked the bounds. */
static u64 rd(const u8 *p, unsigned bytes)
{
	u64 v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

/* True when [off, off + len) lies in the file, without overflowing. */
static bool in_file(const struct parser *ps, u64 off, u64 len)
{
	return off <= ps->size && len <= ps->size - off;
}

/* --- RAM and segments --- */

bool guest_ram_contains(u64 ram_size, u64 gpa, u64 len)
{
	u64 low = MIN(ram_size, GUEST_HOLE_START), high = ram_size - low;
	if (gpa + len < gpa)
		return false;
	if (gpa + len <= low)
		return true;
	return gpa >= GUEST_HOLE_END && gpa + len - GUEST_HOLE_END <= high;
}

/* Starts an error about a segment: "program header 3: ", "the flat image: ";
 * the caller appends the reason. */
static void segment_error(struct parser *ps, const char *what, s64 index)
{
	if (index >= 0)
		ksnprintf(ps->err, ps->errlen, "%s %ld: ", what, index);
	else
		ksnprintf(ps->err, ps->errlen, "%s: ", what);
}

static const struct guest_segment *overlapping(const struct guest_load_plan *plan, u64 gpa, u64 len)
{
	for (u32 i = 0; i < plan->nsegments; i++) {
		const struct guest_segment *s = &plan->seg[i];
		if (gpa < s->gpa + s->mem_size && s->gpa < gpa + len)
			return s;
	}
	return NULL;
}

bool guest_plan_overlaps(const struct guest_load_plan *plan, u64 gpa, u64 len)
{
	return overlapping(plan, gpa, len) != NULL;
}

u32 guest_place_modules(const struct guest_load_plan *plan, u64 reserved_end, u64 ram_size, const u64 *sizes,
			u32 n, u64 *starts)
{
	u64 at = MAX(plan->end, reserved_end);

	for (u32 i = 0; i < n; i++) {
		at = ALIGN_UP(at, PAGE_SIZE);
		if (at + sizes[i] < at || !guest_ram_contains(ram_size, at, sizes[i]) ||
		    guest_plan_overlaps(plan, at, sizes[i]))
			return i;
		starts[i] = at;
		at += sizes[i];
	}
	return n;
}

/* Adds one segment after checking it against the file, guest RAM and the others. */
static int add_segment(struct parser *ps, const char *what, s64 index, u64 gpa, u64 off,
		       u64 filesz, u64 memsz)
{
	struct guest_load_plan *plan = ps->plan;
	const struct guest_segment *other = overlapping(plan, gpa, memsz);

	if (filesz > memsz) {
		segment_error(ps, what, index);
		kappendf(ps->err, ps->errlen, "file size 0x%lx exceeds memory size 0x%lx", filesz, memsz);
		return -1;
	}
	if (!in_file(ps, off, filesz)) {
		segment_error(ps, what, index);
		kappendf(ps->err, ps->errlen,
			 "file bytes 0x%lx..0x%lx run past the end of the 0x%lx-byte image",
			 off, off + filesz, ps->size);
		return -1;
	}
	if (!guest_ram_contains(ps->p->ram_size, gpa, memsz)) {
		segment_error(ps, what, index);
		kappendf(ps->err, ps->errlen,
			 "guest-physical 0x%lx..0x%lx is outside the guest's RAM (0x%lx bytes)",
			 gpa, gpa + memsz, ps->p->ram_size);
		return -1;
	}
	if (other) {
		segment_error(ps, what, index);
		kappendf(ps->err, ps->errlen, "0x%lx..0x%lx overlaps the segment at 0x%lx..0x%lx", gpa,
			 gpa + memsz, other->gpa, other->gpa + other->mem_size);
		return -1;
	}
	if (plan->nsegments == GUEST_IMAGE_MAX_SEGMENTS) {
		segment_error(ps, what, index);
		kappendf(ps->err, ps->errlen, "more than %d loadable segments", GUEST_IMAGE_MAX_SEGMENTS);
		return -1;
	}
	plan->seg[plan->nsegments++] = (struct guest_segment){ gpa, off, filesz, memsz };
	plan->lowest = plan->nsegments == 1 ? gpa : MIN(plan->lowest, gpa);
	plan->end = MAX(plan->end, gpa + memsz);
	return 0;
}

/* --- ELF --- */

struct elf_layout {
	bool is64;
	u64 entry, phoff, phentsize, phnum;
};

static bool has_elf_magic(const struct parser *ps)
{
	return ps->size >= 4 && ps->img[0] == 0x7F && ps->img[1] == 'E' && ps->img[2] == 'L' &&
	       ps->img[3] == 'F';
}

static int read_elf_header(struct parser *ps, struct elf_layout *l)
{
	const u8 *h = ps->img;
	char *e = ps->err;
	size_t n = ps->errlen;
	u64 ehsize, machine, want_machine, min_phent;

	if (!has_elf_magic(ps)) {
		ksnprintf(e, n, "not an ELF file: bad magic (expected 7f 45 4c 46)");
		return -1;
	}
	if (ps->size < 16 || (h[4] != 1 && h[4] != 2)) {
		ksnprintf(e, n, "unknown ELF class: expected 1 (ELF32) or 2 (ELF64)");
		return -1;
	}
	l->is64 = h[4] == 2;
	ehsize = l->is64 ? 64 : 52;
	if (h[5] != 1) {
		ksnprintf(e, n, "not a little-endian ELF file");
		return -1;
	}
	if (ps->size < ehsize) {
		ksnprintf(e, n, "ELF header truncated: the file has %lu bytes, the header needs %lu",
			  ps->size, ehsize);
		return -1;
	}
	if (rd(h + 16, 2) != ELF_ET_EXEC) {
		ksnprintf(e, n, "not an executable ELF file: e_type %lu, expected 2 (ET_EXEC)", rd(h + 16, 2));
		return -1;
	}
	machine = rd(h + 18, 2);
	want_machine = l->is64 ? ELF_EM_X86_64 : ELF_EM_386;
	if (machine != want_machine) {
		ksnprintf(e, n, "wrong machine %lu%s", machine,
			  l->is64 ? " for ELF64: expected 62 (x86-64)" : " for ELF32: expected 3 (i386)");
		return -1;
	}
	l->entry = rd(h + 24, l->is64 ? 8 : 4);
	l->phoff = rd(h + (l->is64 ? 32 : 28), l->is64 ? 8 : 4);
	l->phentsize = rd(h + (l->is64 ? 54 : 42), 2);
	l->phnum = rd(h + (l->is64 ? 56 : 44), 2);
	min_phent = l->is64 ? 56 : 32;
	if (l->phnum == 0) {
		ksnprintf(e, n, "no program headers");
		return -1;
	}
	if (l->phentsize < min_phent) {
		ksnprintf(e, n, "program header size %lu is smaller than %lu", l->phentsize, min_phent);
		return -1;
	}
	if (!in_file(ps, l->phoff, l->phnum * l->phentsize)) {
		ksnprintf(e, n, "program headers truncated: %lu x %lu bytes at offset 0x%lx run past the end "
			  "of the 0x%lx-byte file", l->phnum, l->phentsize, l->phoff, ps->size);
		return -1;
	}
	return 0;
}

/* Loads every PT_LOAD by its physical address; the entry is translated through its segment. */
static int parse_elf(struct parser *ps)
{
	struct elf_layout l;
	bool entry_found = false;

	if (read_elf_header(ps, &l))
		return -1;
	for (u64 i = 0; i < l.phnum; i++) {
		const u8 *ph = ps->img + l.phoff + i * l.phentsize;
		unsigned w = l.is64 ? 8 : 4;
		u64 off = rd(ph + (l.is64 ? 8 : 4), w), vaddr = rd(ph + (l.is64 ? 16 : 8), w);
		u64 paddr = rd(ph + (l.is64 ? 24 : 12), w), filesz = rd(ph + (l.is64 ? 32 : 16), w);
		u64 memsz = rd(ph + (l.is64 ? 40 : 20), w);
		if (rd(ph, 4) != ELF_PT_LOAD || memsz == 0)
			continue;
		if (add_segment(ps, "program header", (s64)i, paddr, off, filesz, memsz))
			return -1;
		if (!entry_found && l.entry >= vaddr && l.entry - vaddr < memsz) {
			ps->plan->entry = paddr + (l.entry - vaddr);
			entry_found = true;
		}
	}
	if (ps->plan->nsegments == 0) {
		ksnprintf(ps->err, ps->errlen, "no loadable (PT_LOAD) segments");
		return -1;
	}
	if (!entry_found) {
		ksnprintf(ps->err, ps->errlen, "entry point 0x%lx lies in no loaded segment", l.entry);
		return -1;
	}
	ps->plan->mode = l.is64 ? GUEST_MODE_LONG64 : GUEST_MODE_PROT32;
	return 0;
}

/* --- Multiboot v1 --- */

/* Offset of the header (magic at a 4-byte boundary in the first 8 KiB), or -1. */
static s64 find_multiboot_header(const struct parser *ps)
{
	for (u64 off = 0; off < MULTIBOOT_SEARCH_BYTES && in_file(ps, off, 12); off += 4)
		if (rd(ps->img + off, 4) == MULTIBOOT_HEADER_MAGIC)
			return (s64)off;
	return -1;
}

/* Loading by the header's address fields (flag 16): the file need not be ELF. */
static int load_by_address_fields(struct parser *ps, u64 off)
{
	const u8 *h = ps->img + off;
	char *e = ps->err;
	size_t n = ps->errlen;
	u64 header_addr = rd(h + 12, 4), load = rd(h + 16, 4), load_end = rd(h + 20, 4);
	u64 bss_end = rd(h + 24, 4), entry = rd(h + 28, 4), filesz, memsz;

	if (load > header_addr || header_addr - load > off) {
		ksnprintf(e, n, "Multiboot header at offset 0x%lx: load_addr 0x%lx and header_addr 0x%lx put "
			  "the start of the file before its first byte", off, load, header_addr);
		return -1;
	}
	if ((load_end && load_end < load) || (bss_end && bss_end < MAX(load_end, load))) {
		ksnprintf(e, n, "Multiboot header at offset 0x%lx: load_addr 0x%lx, load_end_addr 0x%lx, "
			  "bss_end_addr 0x%lx are out of order", off, load, load_end, bss_end);
		return -1;
	}
	off -= header_addr - load; /* file offset of load_addr */
	filesz = load_end ? load_end - load : ps->size - off;
	memsz = bss_end ? bss_end - load : filesz;
	if (entry < load || entry >= load + memsz) {
		ksnprintf(e, n, "Multiboot header at offset 0x%lx: entry_addr 0x%lx lies outside the loaded "
			  "range 0x%lx..0x%lx", off + (header_addr - load), entry, load, load + memsz);
		return -1;
	}
	ps->plan->entry = entry;
	return add_segment(ps, "Multiboot load range", -1, load, off, filesz, memsz);
}

static int parse_multiboot(struct parser *ps, u64 off)
{
	const u8 *h = ps->img + off;
	u32 flags = (u32)rd(h + 4, 4), checksum = (u32)rd(h + 8, 4);
	char *e = ps->err;
	size_t n = ps->errlen;

	if ((u32)(MULTIBOOT_HEADER_MAGIC + flags + checksum) != 0) {
		ksnprintf(e, n, "Multiboot header at offset 0x%lx has a bad checksum 0x%x (magic + flags + "
			  "checksum must be 0)", off, checksum);
		return -1;
	}
	if (flags & 0xFFFF & ~MB_SUPPORTED) {
		ksnprintf(e, n, "Multiboot header at offset 0x%lx requires features 0x%x this loader does not "
			  "provide (supported: page-aligned modules 0x1, memory information 0x2)", off,
			  flags & 0xFFFF & ~MB_SUPPORTED);
		return -1;
	}
	ps->plan->multiboot_flags = flags;
	ps->plan->mode = GUEST_MODE_PROT32;
	if (!(flags & MB_FLAG_ADDRESS)) {
		if (has_elf_magic(ps) && ps->size > 4 && ps->img[4] == 2) {
			ksnprintf(e, n, "a Multiboot kernel without address fields must be ELF32, this is ELF64");
			return -1;
		}
		if (parse_elf(ps))
			return -1;
		ps->plan->mode = GUEST_MODE_PROT32;
		return 0;
	}
	if (!in_file(ps, off, 32)) {
		ksnprintf(e, n, "Multiboot header at offset 0x%lx is truncated: its address fields need 32 bytes",
			  off);
		return -1;
	}
	return load_by_address_fields(ps, off);
}

/* --- flat binaries --- */

static int parse_flat(struct parser *ps)
{
	const struct guest_image_params *p = ps->p;
	u64 entry = p->entry ? p->entry : p->load_addr;
	char *e = ps->err;
	size_t n = ps->errlen;

	if (ps->size == 0) {
		ksnprintf(e, n, "the image is empty");
		return -1;
	}
	if (add_segment(ps, "the flat image", -1, p->load_addr, 0, ps->size, ps->size))
		return -1;
	if (entry < p->load_addr || entry - p->load_addr >= ps->size) {
		ksnprintf(e, n, "entry 0x%lx lies outside the image loaded at 0x%lx..0x%lx", entry,
			  p->load_addr, p->load_addr + ps->size);
		return -1;
	}
	if (p->mode == GUEST_MODE_REAL && entry >= REAL_MODE_LIMIT) {
		ksnprintf(e, n, "a real-mode entry must lie below 1 MiB, not at 0x%lx", entry);
		return -1;
	}
	ps->plan->entry = entry;
	ps->plan->mode = p->mode;
	return 0;
}

/* --- Linux --- */

/* Only the header is checked here: placing the kernel needs the initrd and command line. */
static int parse_linux(struct parser *ps)
{
	struct linux_header h;

	if (linux_parse_header(ps->img, ps->size, &h, ps->err, ps->errlen))
		return -1;
	ps->plan->mode = h.xloadflags & LINUX_XLF_KERNEL_64 ? GUEST_MODE_LONG64 : GUEST_MODE_PROT32;
	return 0;
}

/* --- the plan --- */

int guest_image_plan(const u8 *image, u64 size, const struct guest_image_params *p,
		     struct guest_load_plan *plan, char *err, size_t errlen)
{
	struct parser ps = { image, size, p, plan, err, errlen };
	s64 mb = -1;
	enum guest_image_kind kind = p->kind;

	memset(plan, 0, sizeof(*plan));
	if (kind == GUEST_IMAGE_DETECT || kind == GUEST_IMAGE_MULTIBOOT)
		mb = find_multiboot_header(&ps);
	if (kind == GUEST_IMAGE_DETECT)
		kind = linux_is_bzimage(image, size) ? GUEST_IMAGE_LINUX
		       : mb >= 0		      ? GUEST_IMAGE_MULTIBOOT
		       : has_elf_magic(&ps)	      ? GUEST_IMAGE_ELF
						      : GUEST_IMAGE_DETECT;
	plan->kind = kind;
	switch (kind) {
	case GUEST_IMAGE_FLAT:
		return parse_flat(&ps);
	case GUEST_IMAGE_ELF:
		return parse_elf(&ps);
	case GUEST_IMAGE_MULTIBOOT:
		if (mb >= 0)
			return parse_multiboot(&ps, (u64)mb);
		ksnprintf(err, errlen,
			  "no Multiboot header (magic 0x1badb002 at a 4-byte boundary) in the first 8 KiB");
		return -1;
	case GUEST_IMAGE_LINUX:
		return parse_linux(&ps);
	case GUEST_IMAGE_DETECT:
		break;
	}
	ksnprintf(err, errlen, "cannot tell the kind of image: no Linux setup header, no Multiboot header in "
			       "the first 8 KiB and no ELF magic (for a flat binary give kind=flat, mode= and load=)");
	return -1;
}

bool guest_image_load(const struct guest_load_plan *plan, const u8 *image, guest_write_fn write,
		      void *ctx)
{
	for (u32 i = 0; i < plan->nsegments; i++) {
		const struct guest_segment *s = &plan->seg[i];
		if (s->file_size && !write(ctx, s->gpa, image + s->file_offset, s->file_size))
			return false;
		if (s->mem_size > s->file_size &&
		    !write(ctx, s->gpa + s->file_size, NULL, s->mem_size - s->file_size))
			return false;
	}
	return true;
}
