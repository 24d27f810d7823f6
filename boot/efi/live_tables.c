/* After ExitBootServices the firmware's memory becomes free RAM for the page
 * allocator, but the CPU still runs on the firmware's page tables, GDT and
 * IDT until hv_start loads its own. Those pages are recorded as hypervisor
 * memory so the allocator never hands them out while they are live (a few
 * pages stay reserved for good). */
#include "boot/efi/loader.h"
#include "x86.h"


struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

static bool keep(struct boot_info *bi, u64 base, u64 len)
{
	u64 start = ALIGN_DOWN(base, PAGE_SIZE);
	return bootinfo_add_mem(bi, start, ALIGN_UP(base + len, PAGE_SIZE) - start, BOOT_MEM_HV);
}

/* Records the table at pa and, below it, every table it points to. */
static bool keep_table(struct boot_info *bi, u64 pa, int level)
{
	if (!keep(bi, pa, PAGE_SIZE))
		return false;
	if (level == 1)
		return true; /* a page table: its entries map pages, not tables */
	const u64 *t = (const u64 *)(uintptr_t)pa;
	for (int i = 0; i < 512; i++) {
		bool points_to_table = (t[i] & PTE_P) && !(level <= 3 && (t[i] & PTE_PS));
		if (points_to_table && !keep_table(bi, t[i] & PTE_ADDR_MASK, level - 1))
			return false;
	}
	return true;
}

/* When the table is full nothing reclaimable may be handed out: it could be live. */
static void reserve_all_reclaimable(struct boot_info *bi)
{
	for (u32 i = 0; i < bi->mem_count; i++)
		if (bi->mem[i].type == BOOT_MEM_RECLAIMABLE)
			bi->mem[i].type = BOOT_MEM_RESERVED;
}

void efi_keep_live_tables(struct boot_info *bi)
{
	u64 cr3, cr4;
	struct dtr gdt, idt;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("sgdt %0" : "=m"(gdt));
	__asm__ volatile("sidt %0" : "=m"(idt));
	bool ok = keep_table(bi, cr3 & PTE_ADDR_MASK, (cr4 & CR4_LA57) ? 5 : 4) &&
		  keep(bi, gdt.base, gdt.limit + 1u) && keep(bi, idt.base, idt.limit + 1u);
	if (!ok)
		reserve_all_reclaimable(bi);
}
