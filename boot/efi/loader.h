/* The UEFI loader's internal interface. Only boot/efi/ includes <efi.h>. */
#ifndef BOOT_EFI_LOADER_H
#define BOOT_EFI_LOADER_H

#include <efi.h>
#include "boot/bootinfo.h"

extern EFI_SYSTEM_TABLE *efi_st;
extern EFI_BOOT_SERVICES *efi_bs;

/* Console output through the firmware (valid until ExitBootServices). */
void efi_print(const char *s);
void efi_print_hex(u64 v);
void efi_print_status(const char *what, EFI_STATUS status);

/* Page allocations the hypervisor keeps: each is recorded as BOOT_MEM_HV. */
EFI_STATUS efi_alloc_pages(struct boot_info *bi, u64 bytes, EFI_ALLOCATE_TYPE how, u64 *addr);

/* Files on the volume the loader came from. */
EFI_STATUS efi_open_boot_volume(EFI_HANDLE device, EFI_FILE_HANDLE *root);
EFI_STATUS efi_read_cmdline_file(EFI_FILE_HANDLE root, struct boot_info *bi);
EFI_STATUS efi_load_guest_images(EFI_FILE_HANDLE root, struct boot_info *bi);

/* Final memory map into bi, then ExitBootServices; no firmware calls after success. */
EFI_STATUS efi_exit_boot_services(EFI_HANDLE image, struct boot_info *bi);

/* After ExitBootServices: marks the firmware's live page tables, GDT and IDT
 * as hypervisor memory (or, if the table is full, keeps all boot-services
 * memory reserved), so boot-services memory can be handed out safely. */
void efi_keep_live_tables(struct boot_info *bi);

#endif
