/* The last firmware calls: fetch the memory map, translate it into
 * boot_info, and exit boot services with the map's key. */
#include "boot/efi/loader.h"

#define EXIT_RETRIES 8
/* Room for the map to grow between sizing it and fetching it. */
#define MAP_SLACK_DESCRIPTORS 16

static enum boot_mem_type mem_type(UINT32 efi_type)
{
	switch (efi_type) {
	case EfiConventionalMemory: return BOOT_MEM_USABLE;
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData: return BOOT_MEM_RECLAIMABLE;
	case EfiACPIReclaimMemory: return BOOT_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS: return BOOT_MEM_ACPI_NVS;
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData: return BOOT_MEM_FW_RUNTIME;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace: return BOOT_MEM_MMIO;
	case EfiUnusableMemory: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

/* Appends the firmware map after the hypervisor's own ranges (first_fw_entry on). */
static bool translate_map(struct boot_info *bi, u32 first_fw_entry, const u8 *map, UINTN size, UINTN desc_size)
{
	bi->mem_count = first_fw_entry;
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		if (!bootinfo_add_mem(bi, d->PhysicalStart, d->NumberOfPages * PAGE_SIZE, mem_type(d->Type)))
			return false;
	}
	return true;
}

EFI_STATUS efi_exit_boot_services(EFI_HANDLE image, struct boot_info *bi)
{
	UINTN size = 0, key, desc_size;
	UINT32 desc_version;
	EFI_STATUS st = efi_bs->GetMemoryMap(&size, NULL, &key, &desc_size, &desc_version);
	if (st != EFI_BUFFER_TOO_SMALL)
		return st;
	/* The buffer is loader data: it is only read before hv_start, so it may be reclaimed. */
	UINTN cap = size + MAP_SLACK_DESCRIPTORS * desc_size;
	EFI_PHYSICAL_ADDRESS buf;
	st = efi_bs->AllocatePages(AllocateAnyPages, EfiLoaderData, EFI_SIZE_TO_PAGES(cap), &buf);
	if (EFI_ERROR(st))
		return st;
	u8 *map = (u8 *)(uintptr_t)buf;
	u32 first_fw_entry = bi->mem_count;

	for (int attempt = 0; attempt < EXIT_RETRIES; attempt++) {
		size = cap;
		st = efi_bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &desc_size, &desc_version);
		if (EFI_ERROR(st))
			return st;
		if (!translate_map(bi, first_fw_entry, map, size, desc_size))
			return EFI_BUFFER_TOO_SMALL;
		/* Fails with EFI_INVALID_PARAMETER when the map changed since we read it
		 * (an event allocated memory): read it again and retry. No printing here,
		 * printing could change the map again. */
		st = efi_bs->ExitBootServices(image, key);
		if (!EFI_ERROR(st))
			return EFI_SUCCESS;
	}
	return st;
}
