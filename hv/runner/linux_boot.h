/*
 * The Linux x86 boot protocol (the kernel's Documentation/arch/x86/boot.rst)
 * for bzImage guests, without touching guest memory: the setup header read
 * and checked, where the kernel, the initrd, the command line and the zero
 * page (struct boot_params) go in the VM's RAM, its E820 map, and the zero
 * page itself. hv/runner/linux_loader.c writes the result into a VM.
 * Every refusal says why; callers prefix the image name.
 */
#ifndef HV_LINUX_BOOT_H
#define HV_LINUX_BOOT_H

#include "types.h"

/* The setup header (boot.rst) as offsets into the image and the zero page. */
#define LINUX_HDR_SETUP_SECTS 0x1f1
#define LINUX_HDR_BOOT_FLAG 0x1fe  /* 0xAA55 */
#define LINUX_HDR_JUMP 0x200       /* the header ends at 0x202 + the byte at 0x201 */
#define LINUX_HDR_MAGIC 0x202      /* "HdrS" */
#define LINUX_HDR_VERSION 0x206
#define LINUX_HDR_TYPE_OF_LOADER 0x210
#define LINUX_HDR_LOADFLAGS 0x211
#define LINUX_HDR_CODE32_START 0x214
#define LINUX_HDR_RAMDISK_IMAGE 0x218
#define LINUX_HDR_RAMDISK_SIZE 0x21c
#define LINUX_HDR_CMD_LINE_PTR 0x228
#define LINUX_HDR_INITRD_ADDR_MAX 0x22c
#define LINUX_HDR_KERNEL_ALIGNMENT 0x230
#define LINUX_HDR_RELOCATABLE 0x234
#define LINUX_HDR_XLOADFLAGS 0x236
#define LINUX_HDR_CMDLINE_SIZE 0x238
#define LINUX_HDR_PREF_ADDRESS 0x258
#define LINUX_HDR_INIT_SIZE 0x260
#define LINUX_HDR_VID_MODE 0x1fa
/* boot_params fields outside the header */
#define LINUX_BP_ACPI_RSDP_ADDR 0x070
#define LINUX_BP_EXT_RAMDISK_IMAGE 0x0c0
#define LINUX_BP_EXT_RAMDISK_SIZE 0x0c4
#define LINUX_BP_EXT_CMD_LINE_PTR 0x0c8
#define LINUX_BP_E820_ENTRIES 0x1e8
#define LINUX_BP_E820_TABLE 0x2d0
#define LINUX_BP_SIZE 4096

#define LINUX_MAGIC 0x53726448u      /* "HdrS" little-endian */
#define LINUX_LOADED_HIGH 0x01       /* loadflags: protected-mode code at 0x100000 and up */
#define LINUX_XLF_KERNEL_64 0x01     /* xloadflags: has the 64-bit entry at load address + 0x200 */
#define LINUX_ENTRY64_OFFSET 0x200
#define LINUX_LOADER_UNDEFINED 0xff  /* type_of_loader: a loader without an assigned ID */
/* 2.10 (Linux 2.6.31): the first with init_size and pref_address, which say how much
 * RAM the kernel needs from where it is loaded; earlier kernels are refused. */
#define LINUX_MIN_VERSION 0x020a
#define LINUX_64BIT_MIN_VERSION 0x020c /* xloadflags, hence XLF_KERNEL_64 */

/* E820 types (ACPI spec, "System Address Map Interfaces") */
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3   /* ACPI tables: reclaimable once the OS has read them */
#define E820_NVS 4
#define E820_MAX_ENTRIES 128 /* the zero page's table */
#define E820_ENTRY_SIZE 20   /* packed: u64 addr, u64 size, u32 type */

struct e820_entry {
	u64 addr, size;
	u32 type;
};

struct e820_table {
	u32 count;
	struct e820_entry e[E820_MAX_ENTRIES];
};

/* What the loader needs of the setup header, checked. */
struct linux_header {
	u16 version;
	u64 setup_size;        /* bytes before the protected-mode kernel: (setup_sects + 1) * 512 */
	u64 kernel_size;       /* the protected-mode kernel: the rest of the file */
	u64 header_end;        /* the header spans [0x1f1, header_end) of the file */
	u8 loadflags;
	u16 xloadflags;
	bool relocatable;
	u64 kernel_alignment, pref_address, init_size, initrd_addr_max, cmdline_size;
};

/* True when the image has the boot sector flag and the "HdrS" magic (kind detection). */
bool linux_is_bzimage(const u8 *image, u64 size);

/* Reads and checks the header; 0, or -1 with the reason in err. */
int linux_parse_header(const u8 *image, u64 size, struct linux_header *h, char *err, size_t errlen);

/*
 * Where everything goes, in low RAM (below the 3 GiB device hole): the
 * kernel at pref_address, or (relocatable) at the lowest kernel_alignment
 * multiple from 1 MiB where init_size bytes fit; the initrd as high as
 * initrd_addr_max and RAM allow, above the kernel's init_size. The zero page
 * and the command line are at fixed places the caller chooses (below 1 MiB).
 */
struct linux_layout {
	u64 kernel_addr;       /* the protected-mode kernel's load address */
	u64 entry;             /* 64-bit: kernel_addr + 0x200; 32-bit: kernel_addr */
	bool entry64;
	u64 initrd_addr, initrd_size; /* 0, 0: none */
	u64 zero_page, cmdline;
};

int linux_plan(const struct linux_header *h, u64 low_end, u64 cmdline_len, u64 initrd_size,
	       u64 zero_page, u64 cmdline, struct linux_layout *l, char *err, size_t errlen);

/*
 * Adds [addr, addr + size) with `type`, replacing what the table had there
 * (entries are cut around it); the table stays sorted. False when full.
 */
bool e820_add(struct e820_table *t, u64 addr, u64 size, u32 type);

/*
 * The VM's map: RAM below 640 KiB, the legacy VGA/BIOS area reserved, RAM
 * from 1 MiB to the end of RAM or the device hole, the hole [3 GiB, 4 GiB)
 * reserved, the rest of RAM from 4 GiB; then each of `extra` (the ACPI
 * tables' ranges, hv/runner/linux_loader.c) over it.
 */
bool linux_e820_build(u64 ram_size, const struct e820_entry *extra, u32 nextra, struct e820_table *t);

/*
 * The zero page: zeros, the image's setup header copied in, then what a
 * boot loader must fill (type_of_loader, code32_start, command line,
 * initrd, E820 map, the ACPI RSDP when the platform has one).
 */
void linux_zero_page(const u8 *image, const struct linux_header *h, const struct linux_layout *l,
		     const struct e820_table *map, u64 acpi_rsdp, u8 page[LINUX_BP_SIZE]);

#endif
