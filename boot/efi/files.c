/* Files the loader reads from its own boot volume: the command line
 * (\EFI\hv\cmdline.txt) and the guest images (every file in \EFI\hv\guests\). */
#include "boot/efi/loader.h"
#include "kstring.h"

#define CMDLINE_PATH L"\\EFI\\hv\\cmdline.txt"
#define GUESTS_PATH L"\\EFI\\hv\\guests"

EFI_STATUS efi_open_boot_volume(EFI_HANDLE device, EFI_FILE_HANDLE *root)
{
	EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	EFI_STATUS st = efi_bs->HandleProtocol(device, &fs_guid, (void **)&fs);
	if (EFI_ERROR(st))
		return st;
	return fs->OpenVolume(fs, root);
}

static EFI_STATUS read_all(EFI_FILE_HANDLE f, void *buf, u64 size)
{
	UINTN n = size;
	EFI_STATUS st = f->Read(f, &n, buf);
	if (!EFI_ERROR(st) && n != size)
		st = EFI_END_OF_FILE; /* short read: the file changed under us */
	return st;
}

static void ascii_from_ucs2(char *dst, size_t cap, const CHAR16 *src)
{
	size_t n = 0;
	for (; src[n] && n < cap - 1; n++)
		dst[n] = src[n] < 0x80 ? (char)src[n] : '?';
	dst[n] = '\0';
}

/* A text file's words become the command line: line breaks count as blanks. */
EFI_STATUS efi_read_cmdline_file(EFI_FILE_HANDLE root, struct boot_info *bi)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st = root->Open(root, &f, CMDLINE_PATH, EFI_FILE_MODE_READ, 0);
	if (st == EFI_NOT_FOUND)
		return EFI_SUCCESS; /* no file: an empty command line */
	if (EFI_ERROR(st))
		return st;
	char text[BOOT_CMDLINE_MAX];
	UINTN n = sizeof(text) - 1;
	st = f->Read(f, &n, text);
	f->Close(f);
	if (EFI_ERROR(st))
		return st;
	for (UINTN i = 0; i < n; i++)
		if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
			text[i] = ' ';
	while (n && text[n - 1] == ' ')
		n--;
	bootinfo_set_cmdline(bi, text, n);
	return EFI_SUCCESS;
}

static EFI_STATUS load_image(EFI_FILE_HANDLE dir, const EFI_FILE_INFO *entry, struct boot_info *bi)
{
	if (bi->image_count >= BOOT_MAX_IMAGES) {
		bi->images_dropped++; /* counted, as Multiboot's are: hv_run refuses to start and says so */
		return EFI_SUCCESS;
	}
	char name[BOOT_NAME_MAX];
	ascii_from_ucs2(name, sizeof(name), entry->FileName);
	EFI_FILE_HANDLE f;
	EFI_STATUS st = dir->Open(dir, &f, (CHAR16 *)entry->FileName, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	u64 addr = 0;
	st = efi_alloc_pages(bi, entry->FileSize ? entry->FileSize : 1, AllocateAnyPages, &addr);
	if (!EFI_ERROR(st))
		st = read_all(f, (void *)(uintptr_t)addr, entry->FileSize);
	f->Close(f);
	if (EFI_ERROR(st))
		return st;
	if (!bootinfo_add_image(bi, name, addr, entry->FileSize))
		return EFI_OUT_OF_RESOURCES;
	efi_print("hv: guest image ");
	efi_print(name);
	efi_print(" at ");
	efi_print_hex(addr);
	efi_print("\n");
	return EFI_SUCCESS;
}

EFI_STATUS efi_load_guest_images(EFI_FILE_HANDLE root, struct boot_info *bi)
{
	EFI_FILE_HANDLE dir;
	EFI_STATUS st = root->Open(root, &dir, GUESTS_PATH, EFI_FILE_MODE_READ, 0);
	if (st == EFI_NOT_FOUND)
		return EFI_SUCCESS; /* no guests folder: nothing to run */
	if (EFI_ERROR(st))
		return st;
	/* Reading a directory returns one EFI_FILE_INFO per call, size 0 at the end. */
	static u8 buf[sizeof(EFI_FILE_INFO) + 512 * sizeof(CHAR16)] __attribute__((aligned(8)));
	for (;;) {
		UINTN n = sizeof(buf);
		st = dir->Read(dir, &n, buf);
		if (EFI_ERROR(st) || n == 0)
			break;
		const EFI_FILE_INFO *entry = (const void *)buf;
		if (entry->Attribute & EFI_FILE_DIRECTORY)
			continue; /* ".", ".." and sub-folders */
		st = load_image(dir, entry, bi);
		if (EFI_ERROR(st)) {
			char name[BOOT_NAME_MAX];
			ascii_from_ucs2(name, sizeof(name), entry->FileName);
			efi_print("hv: cannot load guest image ");
			efi_print(name);
			efi_print("\n");
			break;
		}
	}
	dir->Close(dir);
	return st;
}
