/*
 * Turning a guest image into a load plan, without touching guest memory:
 * which bytes of the file go to which guest-physical addresses, how much is
 * zeroed after them (bss), where and in which CPU mode the guest starts.
 * Kinds (GUEST-PLATFORM.md): a flat binary at a given address, ELF32/ELF64
 * by program headers, Multiboot v1 (header in the first 8 KiB; loaded
 * by its address fields or else as ELF32), and a Linux bzImage (its setup
 * header is checked here; hv/runner/linux_loader.c places and loads it). Every rejection says exactly
 * what is wrong; callers prefix the image name.
 */
#ifndef HV_GUEST_IMAGE_H
#define HV_GUEST_IMAGE_H

#include "types.h"

enum guest_image_kind {
	GUEST_IMAGE_DETECT,    /* Linux, else Multiboot, else ELF: by their magic numbers */
	GUEST_IMAGE_FLAT,
	GUEST_IMAGE_ELF,
	GUEST_IMAGE_MULTIBOOT,
	GUEST_IMAGE_LINUX,     /* a bzImage: the plan has no segments, only kind and mode */
};

enum guest_cpu_mode {
	GUEST_MODE_REAL,   /* 16-bit real mode */
	GUEST_MODE_PROT32, /* 32-bit protected mode, paging off */
	GUEST_MODE_LONG64, /* 64-bit long mode on identity page tables the loader builds */
};

#define GUEST_IMAGE_MAX_SEGMENTS 16
#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_SEARCH_BYTES 8192

/* Guest RAM layout: [0, 3 GiB) then, past the device hole, from 4 GiB on. */
#define GUEST_HOLE_START (3ull << 30)
#define GUEST_HOLE_END (4ull << 30)

struct guest_segment {
	u64 gpa;         /* destination */
	u64 file_offset; /* source: image + file_offset */
	u64 file_size;   /* bytes copied */
	u64 mem_size;    /* >= file_size: the rest is zeroed */
};

struct guest_image_params {
	enum guest_image_kind kind; /* what the config says, or DETECT */
	u64 ram_size;               /* bytes of guest RAM */
	/* flat images only: */
	enum guest_cpu_mode mode;
	u64 load_addr;
	u64 entry;                  /* 0: the load address */
};

struct guest_load_plan {
	enum guest_image_kind kind; /* never DETECT */
	enum guest_cpu_mode mode;
	u64 entry;                  /* guest-physical */
	u32 nsegments;
	struct guest_segment seg[GUEST_IMAGE_MAX_SEGMENTS];
	u64 lowest, end;            /* all segments lie in [lowest, end) */
	u32 multiboot_flags;        /* Multiboot: the header's flags (bit 0: page-align modules) */
};

/*
 * Builds the plan for image[0..size). Returns 0, or -1 with a message in
 * err (bad magic, wrong machine, truncated headers, segments that overlap or
 * leave guest RAM, a Multiboot header with a bad checksum, ...).
 */
int guest_image_plan(const u8 *image, u64 size, const struct guest_image_params *p,
		     struct guest_load_plan *plan, char *err, size_t errlen);

/* True when [gpa, gpa + len) lies in guest RAM of ram_size bytes (the layout above). */
bool guest_ram_contains(u64 ram_size, u64 gpa, u64 len);

/* True when [gpa, gpa + len) overlaps a segment: for placing boot data beside the image. */
bool guest_plan_overlaps(const struct guest_load_plan *plan, u64 gpa, u64 len);

/*
 * Places n boot modules of sizes[i] bytes, page-aligned, one after the other
 * from the first page after both the image and reserved_end (the loader's
 * own areas: GDT, page tables, Multiboot information), with the same checks
 * as the image's segments: each lies in guest RAM (not in the hole) and
 * overlaps no segment. Fills starts[]; returns n, or the index of the first
 * module that does not fit.
 */
u32 guest_place_modules(const struct guest_load_plan *plan, u64 reserved_end, u64 ram_size, const u64 *sizes,
			u32 n, u64 *starts);

/*
 * Writes len bytes from src (or zeros when src is NULL) to guest-physical
 * gpa. Returns false when that fails.
 */
typedef bool (*guest_write_fn)(void *ctx, u64 gpa, const void *src, u64 len);

/* Carries out a plan: copies every segment and zeroes its bss. */
bool guest_image_load(const struct guest_load_plan *plan, const u8 *image, guest_write_fn write,
		      void *ctx);

#endif
