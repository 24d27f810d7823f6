/*
 * What a boot path (UEFI or Multiboot2) hands to hv_start(). Everything is
 * physical and identity-mapped: the hypervisor runs with virt == phys.
 * Filled by boot/, normalized by boot_info_normalize() (mm/), read by hv/.
 */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include "types.h"

#define BOOT_INFO_MAGIC 0x48564249u /* "HVBI" */
#define BOOT_MAX_MEM 512
#define BOOT_MAX_IMAGES 128
#define BOOT_CMDLINE_MAX 1024
#define BOOT_NAME_MAX 64

enum boot_source { BOOT_UEFI = 1, BOOT_MULTIBOOT2 = 2 };

/* Ordered by precedence: where ranges overlap, the higher type wins. */
enum boot_mem_type {
	BOOT_MEM_USABLE = 1,     /* free RAM */
	BOOT_MEM_RECLAIMABLE,    /* boot-services/loader memory, free after the handoff */
	BOOT_MEM_ACPI_RECLAIM,   /* ACPI tables: kept, never handed out */
	BOOT_MEM_ACPI_NVS,
	BOOT_MEM_FW_RUNTIME,     /* UEFI runtime code/data */
	BOOT_MEM_MMIO,
	BOOT_MEM_BAD,
	BOOT_MEM_RESERVED,       /* anything else the firmware keeps */
	BOOT_MEM_HV,             /* the hypervisor image, boot_info, trampoline, images */
};

struct boot_mem_range {
	u64 base;
	u64 len;
	u32 type; /* enum boot_mem_type */
	u32 pad;
};

struct boot_image {
	char name[BOOT_NAME_MAX]; /* file name without folder, e.g. "hello.elf" */
	u64 addr;                 /* physical, page aligned */
	u64 size;
};

struct boot_fb {
	u64 base; /* 0: no framebuffer */
	u32 width, height, pitch_bytes, bpp;
	u8 red_shift, green_shift, blue_shift, pad;
};

struct boot_info {
	u32 magic;
	u32 source;              /* enum boot_source */
	char cmdline[BOOT_CMDLINE_MAX];
	u64 rsdp;                /* physical address of the ACPI RSDP, 0 if none */
	u64 hv_base, hv_end;     /* where the hypervisor image was loaded */
	u64 trampoline;          /* page below 1 MiB reserved for AP start-up, 0 if none */
	struct boot_fb fb;
	u32 mem_count, image_count;
	u32 images_dropped;      /* images beyond BOOT_MAX_IMAGES (the run refuses to start) */
	struct boot_mem_range mem[BOOT_MAX_MEM];
	struct boot_image images[BOOT_MAX_IMAGES];
};

void hv_start(struct boot_info *bi) __attribute__((noreturn));

#endif
