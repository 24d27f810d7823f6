/* Multiboot2: turn GRUB's boot information tags into struct boot_info. */
#include "boot/bootinfo.h"
#include "kstring.h"

#define MB2_BOOTLOADER_MAGIC 0x36D76289u

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
};

enum mb2_mem_type { MB2_MEM_AVAILABLE = 1, MB2_MEM_ACPI_RECLAIMABLE = 3, MB2_MEM_NVS = 4, MB2_MEM_BAD = 5 };

struct mb2_tag {
	u32 type, size;
};

struct mb2_tag_module {
	struct mb2_tag tag;
	u32 mod_start, mod_end;
	char string[];
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	u32 entry_size, entry_version;
	/* entries follow */
};

struct mb2_mmap_entry {
	u64 addr, len;
	u32 type, reserved;
};

struct mb2_tag_framebuffer {
	struct mb2_tag tag;
	u64 addr;
	u32 pitch, width, height;
	u8 bpp, fb_type;
	u16 reserved;
	/* for fb_type 1 (direct RGB): */
	u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

#define MB2_FB_TYPE_RGB 1

#define TRAMPOLINE_MAX_ADDR 0x9F000 /* below 1 MiB and the EBDA, as the UEFI loader chooses */

extern char _image_end[] __attribute__((visibility("hidden")));

/* Filled here, then owned by hv_start. It lives in the image, which stays reserved. */
static struct boot_info mb2_boot_info;
/* The RSDP tags hold a copy of the RSDP, not its address: keep the copy with the image. */
static u8 rsdp_copy[64] __attribute__((aligned(16)));

static enum boot_mem_type mem_type(u32 mb2_type)
{
	switch (mb2_type) {
	case MB2_MEM_AVAILABLE: return BOOT_MEM_USABLE;
	case MB2_MEM_ACPI_RECLAIMABLE: return BOOT_MEM_ACPI_RECLAIM;
	case MB2_MEM_NVS: return BOOT_MEM_ACPI_NVS;
	case MB2_MEM_BAD: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

static void add_mmap(struct boot_info *bi, const struct mb2_tag_mmap *t)
{
	const u8 *p = (const u8 *)(t + 1), *end = (const u8 *)t + t->tag.size;
	for (; p + sizeof(struct mb2_mmap_entry) <= end; p += t->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		bootinfo_add_mem(bi, e->addr, e->len, mem_type(e->type));
	}
}

static void add_framebuffer(struct boot_info *bi, const struct mb2_tag_framebuffer *t)
{
	if (t->fb_type != MB2_FB_TYPE_RGB || t->bpp != 32)
		return; /* the console draws 32-bit direct-colour pixels only */
	bi->fb = (struct boot_fb){
		.base = t->addr, .width = t->width, .height = t->height, .pitch_bytes = t->pitch,
		.bpp = t->bpp, .red_shift = t->red_pos, .green_shift = t->green_pos, .blue_shift = t->blue_pos,
	};
	bootinfo_add_mem(bi, t->addr, (u64)t->pitch * t->height, BOOT_MEM_MMIO);
}

static void set_rsdp(struct boot_info *bi, const struct mb2_tag *t)
{
	u32 len = MIN(t->size - sizeof(*t), (u32)sizeof(rsdp_copy));
	memcpy(rsdp_copy, t + 1, len);
	bi->rsdp = (u64)(uintptr_t)rsdp_copy;
}

static void parse_tags(struct boot_info *bi, u64 info)
{
	u32 total = *(const u32 *)info;
	const u8 *p = (const u8 *)info + 8, *end = (const u8 *)info + total;
	bool have_new_rsdp = false;
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *t = (const void *)p;
		if (t->type == MB2_TAG_END)
			break;
		switch (t->type) {
		case MB2_TAG_CMDLINE:
			bootinfo_set_cmdline(bi, (const char *)(t + 1), strlen((const char *)(t + 1)));
			break;
		case MB2_TAG_MODULE: {
			const struct mb2_tag_module *m = (const void *)t;
			bootinfo_add_image(bi, m->string, m->mod_start, m->mod_end - m->mod_start);
			break;
		}
		case MB2_TAG_MMAP:
			add_mmap(bi, (const void *)t);
			break;
		case MB2_TAG_FRAMEBUFFER:
			add_framebuffer(bi, (const void *)t);
			break;
		case MB2_TAG_ACPI_OLD: /* the ACPI 2.0 RSDP wins when both exist */
			if (!have_new_rsdp)
				set_rsdp(bi, t);
			break;
		case MB2_TAG_ACPI_NEW:
			set_rsdp(bi, t);
			have_new_rsdp = true;
			break;
		}
		p += ALIGN_UP(t->size, 8);
	}
}

/* AP start-up code must run below 1 MiB: keep the highest free page there
 * (never page 0) for it. The hypervisor's own ranges are added after this. */
static void reserve_trampoline(struct boot_info *bi)
{
	for (u32 i = 0; i < bi->mem_count; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		if (r->type != BOOT_MEM_USABLE)
			continue;
		u64 end = ALIGN_DOWN(MIN(r->base + r->len, (u64)TRAMPOLINE_MAX_ADDR), PAGE_SIZE);
		u64 page = end - PAGE_SIZE;
		if (end >= 2 * PAGE_SIZE && page >= r->base && page > bi->trampoline)
			bi->trampoline = page;
	}
	if (bi->trampoline)
		bootinfo_add_mem(bi, bi->trampoline, PAGE_SIZE, BOOT_MEM_HV);
}

void mb2_main(u32 magic, u32 info)
{
	struct boot_info *bi = &mb2_boot_info;
	bootinfo_init(bi, BOOT_MULTIBOOT2);
	if (magic != MB2_BOOTLOADER_MAGIC)
		bi->magic = 0; /* hv_start reports it: something other than a Multiboot2 loader started us */
	else
		parse_tags(bi, info);
	reserve_trampoline(bi);
	bi->hv_base = (u64)(uintptr_t)ImageBase;
	bi->hv_end = (u64)(uintptr_t)_image_end;
	bootinfo_add_mem(bi, bi->hv_base, bi->hv_end - bi->hv_base, BOOT_MEM_HV);
	hv_start(bi);
}
