/* Loading a guest image into a VM (hv/runner/loader.h). */
#include "hv/runner/loader.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"
#include "hv/console/printf.h"
#include "kstring.h"
#include "hv/runner/multiboot_info.h"
#include "hv/runner/linux_loader.h"
#include "x86.h"
#include "hv/devices/acpi_tables.h"

#define LOADER_GDT 0x1000ull
#define LOADER_PAGING 0x2000ull
#define LOADER_PAGING_END 0x8000ull
#define LOADER_MBI 0x9000ull      /* QEMU's choice, taken when the image leaves it free */
#define LOADER_MBI_SIZE 0x1000ull
#define LOW_RAM_END 0xa0000ull     /* 640 KiB: the information block stays below */
#define HIGH_RAM_START 0x100000ull


const struct boot_image *boot_find_image(const struct boot_info *bi, const char *name)
{
	for (u32 i = 0; i < bi->image_count; i++) {
		if (strcmp(bi->images[i].name, name) == 0)
			return &bi->images[i];
	}
	return NULL;
}

/* Flat descriptors for the start states (hv/vm/vcpu.h: GUEST_GDT_*). */
static bool write_gdt(struct vm *vm)
{
	static const u64 gdt[] = {
		0,
		0x00cf9b000000ffffull, /* 0x08: 32-bit code, base 0, 4 GiB */
		0x00cf93000000ffffull, /* 0x10: data, base 0, 4 GiB */
		0x00af9b000000ffffull, /* 0x18: 64-bit code */
	};
	_Static_assert(sizeof(gdt) == GUEST_GDT_LIMIT + 1, "GDT size");
	return vm_write_gpa(vm, LOADER_GDT, gdt, sizeof(gdt));
}

/* The VM's ACPI tables (hv/devices/acpi_tables.h), RSDP first. */
static bool write_acpi_tables(struct vm *vm)
{
	static u8 tables[ACPI_TABLES_SIZE]; /* VMs are loaded one at a time */
	u32 used = acpi_tables_build(vm->nvcpus, tables);
	return vm_write_gpa(vm, ACPI_TABLES_BASE, tables, used);
}

/* Identity map of the low 4 GiB with 2 MiB pages at LOADER_PAGING (CR3); false when it is not RAM. */
static bool write_identity_paging(struct vm *vm)
{
	u64 pml4 = LOADER_PAGING, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
	u64 e = pdpt | PTE_P | PTE_W;
	bool ok = vm_write_gpa(vm, pml4, &e, sizeof(e));

	for (u64 i = 0; i < 4; i++) {
		e = (pd + i * PAGE_SIZE) | PTE_P | PTE_W;
		ok = ok && vm_write_gpa(vm, pdpt + 8 * i, &e, sizeof(e));
	}
	for (u64 i = 0; i < 4 * 512; i++) {
		e = (i * SZ_2M) | PTE_P | PTE_W | PTE_PS;
		ok = ok && vm_write_gpa(vm, pd + 8 * i, &e, sizeof(e));
	}
	return ok;
}

static bool write_guest(void *ctx, u64 gpa, const void *src, u64 len)
{
	struct vm *vm = ctx;
	static const u8 zeros[256];

	if (src)
		return vm_write_gpa(vm, gpa, src, len);
	for (u64 done = 0; done < len;) { /* bss */
		u64 n = MIN(len - done, sizeof(zeros));
		if (!vm_write_gpa(vm, gpa + done, zeros, n))
			return false;
		done += n;
	}
	return true;
}

/* Copies the configured modules page-aligned after the image, at 1 MiB or
 * above as QEMU puts them (guest_place_modules checks that each fits). */
static int load_modules(struct vm *vm, const struct boot_info *bi, const struct guest_load_plan *plan,
			struct mb_module *list, char *err, size_t errlen)
{
	const struct vm_config *cfg = vm->cfg;
	const struct boot_image *m[CONFIG_MAX_MODULES];
	u64 sizes[CONFIG_MAX_MODULES], starts[CONFIG_MAX_MODULES];

	for (u32 i = 0; i < cfg->nmodules; i++) {
		m[i] = boot_find_image(bi, cfg->modules[i]);
		if (!m[i]) {
			ksnprintf(err, errlen, "module '%s' is not among the boot images", cfg->modules[i]);
			return -1;
		}
		sizes[i] = m[i]->size;
	}
	u32 placed = guest_place_modules(plan, HIGH_RAM_START, vm->ram_bytes, sizes, cfg->nmodules, starts);
	for (u32 i = 0; i < cfg->nmodules; i++) {
		if (i == placed || !vm_write_gpa(vm, starts[i], (const void *)m[i]->addr, sizes[i])) {
			ksnprintf(err, errlen, "module '%s' (%lu bytes) does not fit in guest RAM after the image "
				  "and the loader's areas (0x%lx)", cfg->modules[i], (unsigned long)sizes[i],
				  (unsigned long)HIGH_RAM_START);
			return -1;
		}
		list[i] = (struct mb_module){ .start = starts[i], .end = starts[i] + sizes[i], .name = cfg->modules[i] };
	}
	return 0;
}

/* A page below 640 KiB for the information block: 0x9000 as QEMU, else the
 * first page from 0x2000 up that neither the image nor the GDT uses; 0 if none. */
static u64 mbi_page(const struct vm *vm, const struct guest_load_plan *plan)
{
	u64 low_end = MIN(vm->ram_bytes, LOW_RAM_END);
	if (LOADER_MBI + LOADER_MBI_SIZE <= low_end && !guest_plan_overlaps(plan, LOADER_MBI, LOADER_MBI_SIZE))
		return LOADER_MBI;
	for (u64 at = LOADER_GDT + PAGE_SIZE; at + LOADER_MBI_SIZE <= low_end; at += PAGE_SIZE) {
		if (!guest_plan_overlaps(plan, at, LOADER_MBI_SIZE))
			return at;
	}
	return 0;
}

/* The Multiboot information block (hv/runner/multiboot_info.h), EAX and EBX as the protocol says. */
static int load_multiboot(struct vm *vm, const struct boot_info *bi, const struct guest_load_plan *plan,
			  char *err, size_t errlen)
{
	static u8 block[LOADER_MBI_SIZE]; /* VMs are loaded one at a time */
	struct mb_module modules[CONFIG_MAX_MODULES];
	const struct vm_config *cfg = vm->cfg;
	struct mb_info_params p = { .ram_size = vm->ram_bytes, .name = cfg->name, .args = cfg->args,
				    .modules = modules, .nmodules = cfg->nmodules };
	char why[128];
	u32 used;
	u64 at = mbi_page(vm, plan);

	if (!at) {
		ksnprintf(err, errlen, "image '%s' leaves no free page below 640 KiB for the Multiboot information",
			  cfg->image);
		return -1;
	}
	if (load_modules(vm, bi, plan, modules, err, errlen))
		return -1;
	if (multiboot_info_build(&p, (u32)at, block, sizeof(block), &used, why, sizeof(why))) {
		ksnprintf(err, errlen, "image '%s': Multiboot information: %s", cfg->image, why);
		return -1;
	}
	if (!vm_write_gpa(vm, at, block, used)) {
		ksnprintf(err, errlen, "image '%s': guest RAM has no room for the Multiboot information at 0x%lx",
			  cfg->image, (unsigned long)at);
		return -1;
	}
	vm->vcpus[0].regs.gpr[GPR_RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
	vm->vcpus[0].regs.gpr[GPR_RBX] = at;
	return 0;
}

/* The loader's own areas a start mode needs must not collide with the image. */
static const char *check_areas(const struct guest_load_plan *plan)
{
	if (plan->mode != GUEST_MODE_REAL && guest_plan_overlaps(plan, LOADER_GDT, PAGE_SIZE))
		return "overlaps the loader's GDT at 0x1000";
	if (guest_plan_overlaps(plan, ACPI_TABLES_BASE, ACPI_TABLES_SIZE))
		return "overlaps the ACPI tables at 0xe0000-0xe0fff";
	if (plan->mode == GUEST_MODE_LONG64 &&
	    guest_plan_overlaps(plan, LOADER_PAGING, LOADER_PAGING_END - LOADER_PAGING))
		return "overlaps the loader's page tables at 0x2000-0x7fff";
	return NULL;
}

int loader_load(struct vm *vm, const struct boot_info *bi, char *err, size_t errlen)
{
	const struct vm_config *cfg = vm->cfg;
	const struct boot_image *img = boot_find_image(bi, cfg->image);
	struct guest_image_params params = {
		.kind = cfg->kind, .ram_size = vm->ram_bytes,
		.mode = cfg->mode, .load_addr = cfg->load, .entry = cfg->entry,
	};
	struct guest_load_plan plan;
	char why[200];
	const char *problem;
	u64 cr3 = 0;

	if (!img) {
		ksnprintf(err, errlen, "image '%s' is not among the %u boot images", cfg->image,
			  bi->image_count);
		return -1;
	}
	if (guest_image_plan((const u8 *)img->addr, img->size, &params, &plan, why, sizeof(why))) {
		ksnprintf(err, errlen, "image '%s': %s", cfg->image, why);
		return -1;
	}
	problem = check_areas(&plan);
	if (problem) {
		ksnprintf(err, errlen, "image '%s' %s", cfg->image, problem);
		return -1;
	}
	if (!guest_image_load(&plan, (const u8 *)img->addr, write_guest, vm)) {
		ksnprintf(err, errlen, "image '%s': cannot copy it into guest RAM", cfg->image);
		return -1;
	}
	if (!write_acpi_tables(vm)) {
		ksnprintf(err, errlen, "image '%s': the VM has no RAM at 0x%lx for its ACPI tables", cfg->image,
			  ACPI_TABLES_BASE);
		return -1;
	}
	if (plan.mode != GUEST_MODE_REAL && !write_gdt(vm)) {
		ksnprintf(err, errlen, "image '%s': guest RAM has no room for the loader's GDT at 0x%lx", cfg->image,
			  (unsigned long)LOADER_GDT);
		return -1;
	}
	if (plan.mode == GUEST_MODE_LONG64) {
		if (!write_identity_paging(vm)) {
			ksnprintf(err, errlen, "image '%s': guest RAM has no room for the loader's page tables at 0x%lx",
				  cfg->image, (unsigned long)LOADER_PAGING);
			return -1;
		}
		cr3 = LOADER_PAGING;
	}
	if (plan.kind == GUEST_IMAGE_LINUX)
		return linux_load(vm, bi, img, cr3, err, errlen);
	if (cfg->initrd[0]) {
		ksnprintf(err, errlen, "image '%s': initrd= needs a Linux kernel", cfg->image);
		return -1;
	}
	vcpu_reset(&vm->vcpus[0], plan.mode, plan.entry, cr3);
	if (plan.kind == GUEST_IMAGE_MULTIBOOT)
		return load_multiboot(vm, bi, &plan, err, errlen);
	return 0;
}
