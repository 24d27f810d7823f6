/* UEFI entry: gather what the hypervisor needs while firmware services still
 * exist, leave boot services, and jump to hv_start on a stack we own. */
#include "boot/efi/loader.h"
#include "kstring.h"

#define HV_STACK_SIZE (64 * 1024)
#define TRAMPOLINE_MAX_ADDR 0x9F000 /* one page below 1 MiB (and below the EBDA) for AP start-up */

EFI_SYSTEM_TABLE *efi_st;
EFI_BOOT_SERVICES *efi_bs;

EFI_STATUS efi_alloc_pages(struct boot_info *bi, u64 bytes, EFI_ALLOCATE_TYPE how, u64 *addr)
{
	EFI_PHYSICAL_ADDRESS a = *addr;
	UINTN pages = EFI_SIZE_TO_PAGES(bytes);
	EFI_STATUS st = efi_bs->AllocatePages(how, EfiLoaderData, pages, &a);
	if (EFI_ERROR(st))
		return st;
	*addr = a;
	if (bi && !bootinfo_add_mem(bi, a, pages * PAGE_SIZE, BOOT_MEM_HV))
		return EFI_OUT_OF_RESOURCES;
	return EFI_SUCCESS;
}

/* Load options are UCS-2 text when we are started with arguments (a boot
 * entry's optional data, or the shell, which passes our own name first). */
static void take_load_options(const EFI_LOADED_IMAGE *li, struct boot_info *bi)
{
	const CHAR16 *opt = li->LoadOptions;
	size_t n = li->LoadOptionsSize / sizeof(CHAR16);
	char text[BOOT_CMDLINE_MAX];
	size_t len = 0;
	for (size_t i = 0; i < n && opt[i]; i++) {
		if (opt[i] < 0x20 || opt[i] >= 0x7F)
			return; /* binary boot-entry data, not a command line */
		if (len < sizeof(text))
			text[len++] = (char)opt[i];
	}
	size_t start = 0;
	/* Skip a leading program name ("\EFI\BOOT\BOOTX64.EFI ..."). */
	size_t word = 0;
	while (word < len && text[word] != ' ')
		word++;
	if (word >= 4 && (text[word - 4] == '.') && (text[word - 1] == 'i' || text[word - 1] == 'I'))
		start = word;
	while (start < len && text[start] == ' ')
		start++;
	bootinfo_set_cmdline(bi, text + start, len - start);
}

static void find_rsdp(struct boot_info *bi)
{
	EFI_GUID acpi2 = ACPI_20_TABLE_GUID, acpi1 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < efi_st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &efi_st->ConfigurationTable[i];
		if (!memcmp(&t->VendorGuid, &acpi2, sizeof(acpi2)))
			bi->rsdp = (u64)(uintptr_t)t->VendorTable; /* 2.0 wins */
		else if (!bi->rsdp && !memcmp(&t->VendorGuid, &acpi1, sizeof(acpi1)))
			bi->rsdp = (u64)(uintptr_t)t->VendorTable;
	}
}

static unsigned mask_shift(UINT32 mask)
{
	return mask ? (unsigned)__builtin_ctz(mask) : 0;
}

static void find_framebuffer(struct boot_info *bi)
{
	EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	if (EFI_ERROR(efi_bs->LocateProtocol(&gop_guid, NULL, (void **)&gop)) || !gop->Mode)
		return;
	const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
	struct boot_fb fb = { .base = gop->Mode->FrameBufferBase, .width = info->HorizontalResolution,
			      .height = info->VerticalResolution, .pitch_bytes = info->PixelsPerScanLine * 4, .bpp = 32 };
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		fb.red_shift = 0, fb.green_shift = 8, fb.blue_shift = 16;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		fb.red_shift = 16, fb.green_shift = 8, fb.blue_shift = 0;
		break;
	case PixelBitMask:
		fb.red_shift = mask_shift(info->PixelInformation.RedMask);
		fb.green_shift = mask_shift(info->PixelInformation.GreenMask);
		fb.blue_shift = mask_shift(info->PixelInformation.BlueMask);
		break;
	default:
		return; /* blt-only: no linear framebuffer to draw on */
	}
	bi->fb = fb;
}

/* Runs hv_start on the hypervisor's stack: the firmware's stack is boot-services memory. */
static void __attribute__((noreturn)) enter_hv(struct boot_info *bi, u64 stack_top)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t" /* ends stack traces */
			 "call hv_start\n\t"
			 :
			 : "r"(stack_top), "D"(bi)
			 : "memory");
	__builtin_unreachable();
}

static EFI_STATUS fail(const char *what, EFI_STATUS st)
{
	efi_print_status(what, st);
	return st;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st_)
{
	efi_st = st_;
	efi_bs = st_->BootServices;
	efi_print("hv: minimal type-1 hypervisor, UEFI loader\n");

	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	EFI_STATUS st = efi_bs->HandleProtocol(image, &li_guid, (void **)&li);
	if (EFI_ERROR(st))
		return fail("loaded image protocol", st);
	efi_print("hv: image loaded at ");
	efi_print_hex((u64)(uintptr_t)li->ImageBase);
	efi_print("\n");

	u64 bi_addr = 0, stack = 0, trampoline = TRAMPOLINE_MAX_ADDR;
	st = efi_alloc_pages(NULL, sizeof(struct boot_info), AllocateAnyPages, &bi_addr);
	if (EFI_ERROR(st))
		return fail("allocating boot_info", st);
	struct boot_info *bi = (void *)(uintptr_t)bi_addr;
	bootinfo_init(bi, BOOT_UEFI);
	bootinfo_add_mem(bi, bi_addr, ALIGN_UP(sizeof(*bi), PAGE_SIZE), BOOT_MEM_HV);
	bi->hv_base = (u64)(uintptr_t)li->ImageBase;
	bi->hv_end = bi->hv_base + ALIGN_UP(li->ImageSize, PAGE_SIZE);
	bootinfo_add_mem(bi, bi->hv_base, bi->hv_end - bi->hv_base, BOOT_MEM_HV);

	if (EFI_ERROR((st = efi_alloc_pages(bi, HV_STACK_SIZE, AllocateAnyPages, &stack))))
		return fail("allocating the stack", st);
	if (EFI_ERROR((st = efi_alloc_pages(bi, PAGE_SIZE, AllocateMaxAddress, &trampoline))))
		return fail("reserving the AP trampoline page below 1 MiB", st);
	bi->trampoline = trampoline;

	take_load_options(li, bi);
	EFI_FILE_HANDLE root;
	if (EFI_ERROR((st = efi_open_boot_volume(li->DeviceHandle, &root))))
		return fail("opening the boot volume", st);
	if (!bi->cmdline[0] && EFI_ERROR((st = efi_read_cmdline_file(root, bi))))
		return fail("reading \\EFI\\hv\\cmdline.txt", st);
	if (EFI_ERROR((st = efi_load_guest_images(root, bi))))
		return fail("loading guest images from \\EFI\\hv\\guests", st);
	root->Close(root);
	find_rsdp(bi);
	find_framebuffer(bi);
	efi_print("hv: command line: \"");
	efi_print(bi->cmdline);
	efi_print("\"\nhv: exiting boot services\n");

	if (EFI_ERROR((st = efi_exit_boot_services(image, bi))))
		return fail("ExitBootServices", st);
	efi_keep_live_tables(bi);
	enter_hv(bi, stack + HV_STACK_SIZE);
}
