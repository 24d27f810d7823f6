/*
 * Putting a guest image into a new VM: copy what the image's load plan
 * (hv/runner/guest_image.h) says into guest RAM, build what the start mode needs
 * (GDT, identity page tables, the Multiboot information block and its
 * modules) and put vCPU 0 in its start state.
 *
 * Guest-physical layout of what the loader adds (below 1 MiB, never page 0):
 *   0x1000  GDT (null, 32-bit code 0x08, data 0x10, 64-bit code 0x18)
 *   0x2000  identity page tables for long-mode flat images: PML4, PDPT,
 *           4 page directories of 2 MiB pages covering 4 GiB (to 0x7fff)
 *   Multiboot information, command line, module list: one page below
 *           640 KiB, 0x9000 (as QEMU) unless the image is there, else the
 *           first page from 0x2000 up clear of the image
 *   0xe0000 ACPI: RSDP, then RSDT, XSDT, FADT, FACS, DSDT, MADT (to 0xe0fff)
 *   modules: page-aligned, after the highest byte the image loads and
 *           at 1 MiB or above
 * A Linux bzImage goes through hv/runner/linux_loader.h (same GDT place and
 * page tables; its command line and zero page at 0x8000 and 0x9000).
 */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include "types.h"
#include "boot_info.h"

struct vm;

/* 0, or -1 with a message in err naming the image and the problem. */
int loader_load(struct vm *vm, const struct boot_info *bi, char *err, size_t errlen);

/* The boot image with this file name, or NULL. */
const struct boot_image *boot_find_image(const struct boot_info *bi, const char *name);

#endif
