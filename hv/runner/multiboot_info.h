/*
 * The Multiboot (v1) information block a Multiboot guest finds in EBX:
 * memory sizes, a memory map, the command line "NAME ARGS", the loader's
 * name and the modules. Built into a host buffer that the loader then
 * copies to guest-physical base_gpa (below 1 MiB, not in page 0, clear of
 * the image: GUEST-PLATFORM.md); every pointer inside is base_gpa-relative.
 */
#ifndef HV_MULTIBOOT_INFO_H
#define HV_MULTIBOOT_INFO_H

#include "types.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */

/* Flags of the block (which fields are valid). */
#define MBI_MEMORY (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODULES (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

/* Field offsets in the block, from the Multiboot 0.6.96 specification. */
#define MBI_OFF_FLAGS 0
#define MBI_OFF_MEM_LOWER 4
#define MBI_OFF_MEM_UPPER 8
#define MBI_OFF_CMDLINE 16
#define MBI_OFF_MODS_COUNT 20
#define MBI_OFF_MODS_ADDR 24
#define MBI_OFF_MMAP_LENGTH 44
#define MBI_OFF_MMAP_ADDR 48
#define MBI_OFF_LOADER_NAME 64
#define MBI_SIZE 116
#define MBI_MODULE_SIZE 16     /* mod_start, mod_end, string, reserved */
#define MBI_MMAP_ENTRY_SIZE 24 /* size (= 20), base_addr, length, type */

struct mb_module {
	u64 start, end;   /* where the loader put the module in guest RAM: [start, end) */
	const char *name; /* its string, e.g. the file name */
};

struct mb_info_params {
	u64 ram_size;     /* guest RAM, laid out as in hv/runner/guest_image.h */
	const char *name; /* the image name: first word of the command line */
	const char *args; /* the rest of it; NULL or "" for none */
	const struct mb_module *modules;
	u32 nmodules;
};

/*
 * Writes the block into buf[0..cap) as it must appear at base_gpa and sets
 * *used to its size. Returns 0, or -1 with a message in err when buf is too
 * small or an address does not fit in 32 bits.
 */
int multiboot_info_build(const struct mb_info_params *p, u32 base_gpa, u8 *buf, u32 cap,
			 u32 *used, char *err, size_t errlen);

#endif
