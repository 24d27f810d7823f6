/*
 * What a Multiboot (v1) loader told the guest, copied at start so guests may
 * overwrite low memory, plus command-line parsing. The command line is
 * "NAME ARGS"; ARGS holds KEY=VALUE words (from suite.cfg `args=`).
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include "types.h"

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002u
#define MBI_FLAG_MEM (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS (1u << 3)

struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper; /* KiB below 1 MiB, KiB above 1 MiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
};

struct multiboot_module {
	u32 start, end; /* [start, end) guest-physical */
	u32 string;     /* zero-terminated */
	u32 reserved;
};

/* Called by runtime_start(); info is ignored unless magic is the loader's. */
void multiboot_init(u32 magic, u32 info);
/* NULL when the guest was not entered through Multiboot. */
const struct multiboot_info *multiboot(void);
/* Where the loader put the information block (0 when not entered through Multiboot). */
u32 multiboot_info_addr(void);
/* The module list as the loader left it (NULL, *count = 0 when none). */
const struct multiboot_module *multiboot_modules(u32 *count);
/* The command line ("" when there is none). */
const char *cmdline(void);
/* Copies the VALUE of the first KEY=VALUE word after the name; false if absent or too long. */
bool cmdline_arg(const char *key, char *value, size_t size);
/* Parses a decimal number with an optional K, M or G suffix (powers of 1024). */
bool parse_size(const char *s, u64 *out);
/* The number after "key=" on the command line (parse_size's forms); fallback when absent or malformed. */
u64 cmdline_number(const char *key, u64 fallback);

#endif
