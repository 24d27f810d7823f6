/*
 * Putting a Linux bzImage into a VM by the x86 boot protocol
 * (hv/runner/linux_boot.h): the protected-mode kernel, the initrd
 * (`initrd=`), the command line (`args=`), the zero page with the E820 map,
 * and vCPU 0 at the kernel's entry with RSI = the zero page.
 *
 * Guest-physical layout below 1 MiB (beside the loader's, hv/runner/loader.h):
 *   0x1000  the boot GDT: __BOOT_CS 0x10 (64-bit code, or 32-bit for the
 *           32-bit entry), __BOOT_DS 0x18 (flat data), as boot.rst asks
 *   0x2000  identity page tables for 4 GiB (the loader's, for the 64-bit entry)
 *   0x8000  the command line
 *   0x9000  the zero page (struct boot_params)
 */
#ifndef HV_LINUX_LOADER_H
#define HV_LINUX_LOADER_H

#include "types.h"
#include "boot_info.h"

struct vm;

/*
 * Loads `img` (already checked as a bzImage by guest_image_plan) into the
 * VM; cr3 is the identity map for the 64-bit entry. 0, or -1 with a message
 * naming the image and the problem.
 */
int linux_load(struct vm *vm, const struct boot_info *bi, const struct boot_image *img, u64 cr3,
	       char *err, size_t errlen);

#endif
