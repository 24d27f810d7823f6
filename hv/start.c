/* hv_start: the first hypervisor code after either boot path. It brings up
 * the kernel in dependency order, then runs the VMs and ends the machine. */
#include "boot_info.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu_features.h"
#include "hv/vm/guest_switch.h"
#include "hv/hv_exit.h"
#include "hv/cpu/gdt.h"
#include "hv/cpu/idt.h"
#include "hv/runner/options.h"
#include "hv/cpu/paging.h"
#include "hv/panic.h"
#include "hv/runner/run.h"
#include "hv/sched/sched_selftest.h"
#include "hv/vm/vendor.h"
#include "hv/cpu/smp.h"
#include "hv/cpu/trap.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"

#define BOOT_CPU 0

static const char *boot_source_name(u32 source)
{
	return source == BOOT_UEFI ? "UEFI" : source == BOOT_MULTIBOOT2 ? "Multiboot2" : "unknown";
}

static void init_memory(struct boot_info *bi)
{
	char err[128];
	if (boot_info_normalize(bi, err, sizeof(err)))
		panic("memory map: %s", err);
	u64 usable = 0;
	for (u32 i = 0; i < bi->mem_count; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		log_debug("mem 0x%016lx-0x%016lx %s\n", (unsigned long)r->base, (unsigned long)(r->base + r->len),
			  memmap_type_name(r->type));
		if (memmap_type_is_ram(r->type)) /* free RAM, boot-services memory included */
			usable += r->len;
	}
	kprintf("hv: memory map: %u ranges, %lu MiB usable\n", bi->mem_count, (unsigned long)(usable >> 20));

	/* Boot-services memory is free after the hand-off; the firmware tables
	 * still in use until ours are loaded are marked hypervisor memory by boot/. */
	if (palloc_init(bi->mem, bi->mem_count, PALLOC_USE_RECLAIMABLE, 0, err, sizeof(err)))
		panic("page allocator: %s", err);
	kprintf("hv: page allocator: %lu MiB free\n", (unsigned long)(palloc_free_pages() * PAGE_SIZE >> 20));
}

/* Command-line settings that shape everything after them take effect at once. */
static void apply_options(const struct boot_info *bi)
{
	char err[160];
	if (options_parse(bi->cmdline, err, sizeof(err))) {
		log_error("command line: %s\n", err);
		hv_exit(HV_EXIT_USAGE);
	}
	console_set_level(hv_options.loglevel);
	console_set_outputs(hv_options.console + 1);
	if ((hv_options.console + 1) == CONSOLE_FB && !bi->fb.base)
		log_warn("console=fb but the firmware reported no usable framebuffer\n");
	hv_exit_set_method(hv_options.on_exit);
}

void hv_start(struct boot_info *bi)
{
	console_init(bi);
	kprintf("\nhv: minimal type-1 hypervisor, booted via %s\n", boot_source_name(bi->source));
	if (bi->magic != BOOT_INFO_MAGIC)
		panic("boot_info has bad magic 0x%x", bi->magic);
	if (bi->fb.base)
		kprintf("hv: framebuffer %ux%u at 0x%lx\n", bi->fb.width, bi->fb.height, (unsigned long)bi->fb.base);
	kprintf("hv: image loaded at 0x%lx-0x%lx\n", (unsigned long)bi->hv_base, (unsigned long)bi->hv_end);
	trap_set_image_base(bi->hv_base);
	kprintf("hv: command line: \"%s\"\n", bi->cmdline);
	apply_options(bi);
	log_debug("AP trampoline page 0x%lx, ACPI RSDP 0x%lx, %u guest image(s)\n", (unsigned long)bi->trampoline,
		  (unsigned long)bi->rsdp, bi->image_count);

	init_memory(bi);
	gdt_init_cpu(BOOT_CPU);
	idt_init();
	cpu_features_detect();
	paging_init(bi);
	console_enable_fb(bi);
	vendor_print_features(cpu_features.vendor);
	guest_switch_init(); /* before the APs: they copy CR0 and CR4 */
	smp_init(bi); /* from here on we are thread "main" on CPU 0, with preemption */
	if (hv_options.test_sched)
		hv_exit(sched_selftest());

	if (hv_options.test_fault != TEST_FAULT_NONE)
		trap_raise_test_fault(hv_options.test_fault);

	hv_exit(hv_run(bi));
}
