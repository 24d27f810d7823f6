/* Loading a Linux kernel into a VM (hv/runner/linux_loader.h). */
#include "hv/runner/linux_loader.h"
#include "hv/runner/linux_boot.h"
#include "hv/runner/loader.h"
#include "hv/devices/acpi_tables.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"
#include "hv/console/printf.h"
#include "hv/console/console.h"
#include "kstring.h"

#define LINUX_CMDLINE 0x8000ull
#define LINUX_ZERO_PAGE 0x9000ull
#define LINUX_BOOT_CS 0x10 /* boot.rst: the selectors the kernel's entry expects */
#define LINUX_BOOT_DS 0x18
#define LINUX_FW_RANGES 4

/*
 * The platform's firmware tables as the kernel must learn of them: the ACPI
 * RSDP's guest-physical address (0: none) and the ranges the tables occupy
 * (E820_ACPI, or E820_NVS), which the initrd must also stay clear of.
 */
struct linux_firmware {
	u64 acpi_rsdp;
	u32 nranges;
	struct e820_entry ranges[LINUX_FW_RANGES];
};

/* The VM's ACPI tables (hv/devices/acpi_tables.h): the RSDP heads them in
 * 0xE0000-0xFFFFF, which the E820 map reserves whole; no range above 1 MiB. */
static void linux_firmware_tables(struct vm *vm, struct linux_firmware *fw)
{
	memset(fw, 0, sizeof(*fw));
	fw->acpi_rsdp = ACPI_TABLES_BASE;
}

/* The end of the RAM below the hole the loader may fill: below the lowest firmware range above 1 MiB. */
static u64 usable_low_end(u64 ram_size, const struct linux_firmware *fw)
{
	u64 end = MIN(ram_size, GUEST_HOLE_START);

	for (u32 i = 0; i < fw->nranges; i++) {
		if (fw->ranges[i].addr >= (1ull << 20))
			end = MIN(end, fw->ranges[i].addr);
	}
	return end;
}

/* The boot GDT boot.rst asks for, over the loader's at the same place (GUEST_GDT_BASE). */
static bool write_boot_gdt(struct vm *vm, bool entry64)
{
	const u64 gdt[] = {
		0,
		0,
		entry64 ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull, /* 0x10: code, base 0, 4 GiB */
		0x00cf93000000ffffull,                                   /* 0x18: data, base 0, 4 GiB */
	};
	_Static_assert(sizeof(gdt) == GUEST_GDT_LIMIT + 1, "GDT size");
	return vm_write_gpa(vm, GUEST_GDT_BASE, gdt, sizeof(gdt));
}

/* vCPU 0 at the entry: the start state of its mode with the boot selectors, RSI = the zero page. */
static void start_vcpu(struct vcpu *vcpu, const struct linux_layout *l, u64 cr3)
{
	vcpu_reset(vcpu, l->entry64 ? GUEST_MODE_LONG64 : GUEST_MODE_PROT32, l->entry, cr3);
	for (int i = 0; i < SEG_COUNT; i++)
		vcpu->start_sregs.seg[i].selector = i == SEG_CS ? LINUX_BOOT_CS : LINUX_BOOT_DS;
	vcpu->regs.gpr[GPR_RSI] = l->zero_page;
}

/* Everything but the zero page's contents goes into guest RAM. */
static bool write_images(struct vm *vm, const struct boot_image *img, const struct linux_header *h,
			 const struct boot_image *initrd, const struct linux_layout *l)
{
	const char *args = vm->cfg->args;

	return vm_write_gpa(vm, l->kernel_addr, (const u8 *)img->addr + h->setup_size, h->kernel_size) &&
	       (!initrd || vm_write_gpa(vm, l->initrd_addr, (const void *)initrd->addr, initrd->size)) &&
	       vm_write_gpa(vm, l->cmdline, args, strlen(args) + 1) && write_boot_gdt(vm, l->entry64);
}

int linux_load(struct vm *vm, const struct boot_info *bi, const struct boot_image *img, u64 cr3,
	       char *err, size_t errlen)
{
	static u8 zero_page[LINUX_BP_SIZE];    /* VMs are loaded one at a time */
	static struct e820_table map;
	const struct vm_config *cfg = vm->cfg;
	const struct boot_image *initrd = NULL;
	struct linux_header h;
	struct linux_layout l;
	struct linux_firmware fw;
	char why[200];

	if (linux_parse_header((const u8 *)img->addr, img->size, &h, why, sizeof(why)))
		goto fail;
	if (cfg->initrd[0] && !(initrd = boot_find_image(bi, cfg->initrd))) {
		ksnprintf(err, errlen, "initrd '%s' is not among the boot images", cfg->initrd);
		return -1;
	}
	linux_firmware_tables(vm, &fw);
	if (linux_plan(&h, usable_low_end(vm->ram_bytes, &fw), strlen(cfg->args), initrd ? initrd->size : 0,
		       LINUX_ZERO_PAGE, LINUX_CMDLINE, &l, why, sizeof(why)))
		goto fail;
	if (!linux_e820_build(vm->ram_bytes, fw.ranges, fw.nranges, &map)) {
		ksnprintf(why, sizeof(why), "the E820 map needs more than %d entries", E820_MAX_ENTRIES);
		goto fail;
	}
	if (!write_images(vm, img, &h, initrd, &l)) {
		ksnprintf(why, sizeof(why), "cannot copy the kernel, initrd or command line into guest RAM");
		goto fail;
	}
	linux_zero_page((const u8 *)img->addr, &h, &l, &map, fw.acpi_rsdp, zero_page);
	vm_write_gpa(vm, l.zero_page, zero_page, sizeof(zero_page));
	start_vcpu(&vm->vcpus[0], &l, cr3);
	log_info("[%s] linux: boot protocol %u.%02u, kernel at 0x%lx (%s entry 0x%lx), initrd at 0x%lx (%lu bytes), "
		"%u E820 entries\n", vm->name, h.version >> 8, h.version & 0xff, l.kernel_addr,
		l.entry64 ? "64-bit" : "32-bit", l.entry, l.initrd_addr, l.initrd_size, map.count);
	return 0;
fail:
	ksnprintf(err, errlen, "image '%s': %s", cfg->image, why);
	return -1;
}
