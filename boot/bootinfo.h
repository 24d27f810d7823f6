/* Helpers both boot paths use to fill struct boot_info the same way. */
#ifndef BOOT_BOOTINFO_H
#define BOOT_BOOTINFO_H

#include "boot_info.h"

void bootinfo_init(struct boot_info *bi, enum boot_source source);
/* Each returns false when the fixed-size table is full (the caller reports it). */
bool bootinfo_add_mem(struct boot_info *bi, u64 base, u64 len, enum boot_mem_type type);
bool bootinfo_add_image(struct boot_info *bi, const char *name, u64 addr, u64 size);
/* Copies at most BOOT_CMDLINE_MAX - 1 bytes; returns false if it had to cut. */
bool bootinfo_set_cmdline(struct boot_info *bi, const char *s, size_t len);
/* The file name part of a path or module string ("/boot/x.elf arg" -> "x.elf"). */
void bootinfo_basename(char *dst, size_t cap, const char *src, size_t len);

/* Linker-provided start of the hypervisor image (both linker scripts define it). */
extern char ImageBase[] __attribute__((visibility("hidden")));

#endif
