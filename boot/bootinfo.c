/* Filling struct boot_info: shared by the UEFI and Multiboot2 entries. */
#include "boot/bootinfo.h"
#include "kstring.h"

void bootinfo_init(struct boot_info *bi, enum boot_source source)
{
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->source = source;
}

bool bootinfo_add_mem(struct boot_info *bi, u64 base, u64 len, enum boot_mem_type type)
{
	if (len == 0)
		return true;
	/* Firmware maps are long lists of neighbours: merge them to save slots. */
	struct boot_mem_range *last = bi->mem_count ? &bi->mem[bi->mem_count - 1] : NULL;
	if (last && last->type == type && last->base + last->len == base) {
		last->len += len;
		return true;
	}
	if (bi->mem_count >= BOOT_MAX_MEM)
		return false;
	bi->mem[bi->mem_count++] = (struct boot_mem_range){ .base = base, .len = len, .type = type };
	return true;
}

void bootinfo_basename(char *dst, size_t cap, const char *src, size_t len)
{
	size_t start = 0, end = 0;
	/* The name ends at the first blank (a module string may carry arguments). */
	while (end < len && src[end] && src[end] != ' ')
		end++;
	for (size_t i = 0; i < end; i++)
		if (src[i] == '/' || src[i] == '\\')
			start = i + 1;
	size_t n = MIN(end - start, cap - 1);
	memcpy(dst, src + start, n);
	dst[n] = '\0';
}

bool bootinfo_add_image(struct boot_info *bi, const char *name, u64 addr, u64 size)
{
	if (bi->image_count >= BOOT_MAX_IMAGES) {
		bi->images_dropped++;
		return false;
	}
	struct boot_image *img = &bi->images[bi->image_count++];
	bootinfo_basename(img->name, sizeof(img->name), name, strlen(name));
	img->addr = addr;
	img->size = size;
	return bootinfo_add_mem(bi, addr, ALIGN_UP(size, PAGE_SIZE), BOOT_MEM_HV);
}

bool bootinfo_set_cmdline(struct boot_info *bi, const char *s, size_t len)
{
	size_t n = MIN(len, (size_t)BOOT_CMDLINE_MAX - 1);
	memcpy(bi->cmdline, s, n);
	bi->cmdline[n] = '\0';
	return n == len;
}
