/* Printing through the firmware's console before the hand-off. The
 * hypervisor's own console (hv/console/console.c) takes over after ExitBootServices. */
#include "boot/efi/loader.h"

void efi_print(const char *s)
{
	CHAR16 buf[128];
	while (*s) {
		size_t n = 0;
		/* Convert in chunks; UEFI consoles want CR LF. */
		while (*s && n < ARRAY_SIZE(buf) - 3) {
			if (*s == '\n')
				buf[n++] = '\r';
			buf[n++] = (CHAR16)(u8)*s++;
		}
		buf[n] = 0;
		efi_st->ConOut->OutputString(efi_st->ConOut, buf);
	}
}

void efi_print_hex(u64 v)
{
	char buf[19] = "0x";
	int digits = 1;
	while (digits < 16 && (v >> (4 * digits)))
		digits++;
	for (int i = 0; i < digits; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 0xF];
	buf[2 + digits] = '\0';
	efi_print(buf);
}

void efi_print_status(const char *what, EFI_STATUS status)
{
	efi_print("hv: ");
	efi_print(what);
	efi_print(" failed: EFI status ");
	efi_print_hex(status);
	efi_print("\n");
}
