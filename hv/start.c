/* hv_start: the first hypervisor code after either boot path. It brings up
 * the kernel in dependency order, then runs the VMs and ends the machine. */
#include "boot_info.h"
#include "hv/console.h"
#include "hv/cpu_features.h"
#include "hv/exit.h"
#include "hv/panic.h"
#include "hv/run.h"

static const char *boot_source_name(u32 source)
{
	return source == BOOT_UEFI ? "UEFI" : source == BOOT_MULTIBOOT2 ? "Multiboot2" : "unknown";
}

static void print_memory_summary(const struct boot_info *bi)
{
	u64 usable = 0;
	for (u32 i = 0; i < bi->mem_count; i++)
		if (bi->mem[i].type == BOOT_MEM_USABLE)
			usable += bi->mem[i].len;
	kprintf("hv: memory map: %u ranges, %lu MiB usable\n", bi->mem_count, (unsigned long)(usable >> 20));
}

void hv_start(struct boot_info *bi)
{
	console_init(bi);
	kprintf("\nhv: minimal type-1 hypervisor, booted via %s\n", boot_source_name(bi->source));
	if (bi->magic != BOOT_INFO_MAGIC)
		panic("boot_info has bad magic 0x%x", bi->magic);
	kprintf("hv: image loaded at 0x%lx-0x%lx\n", (unsigned long)bi->hv_base, (unsigned long)bi->hv_end);
	kprintf("hv: command line: \"%s\"\n", bi->cmdline);
	print_memory_summary(bi);

	cpu_features_detect();
	cpu_features_print();

	hv_exit(hv_run(bi));
}
