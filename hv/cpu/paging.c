/* Building the hypervisor's identity map. 2 MiB pages everywhere except the
 * 2 MiB regions that need finer permissions (the image, page 0, the AP
 * trampoline), which get 4 KiB pages. */
#include "hv/cpu/paging.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/cpu_features.h"
#include "hv/panic.h"
#include "mm/page_alloc.h"
#include "kstring.h"

#define ENTRIES 512
#define LOW_MMIO_END (4ull << 30) /* LAPIC, IOAPIC, HPET, PCI holes all live below 4 GiB */

/* Kernel text bounds, from both linker scripts. */
extern char _text[] __attribute__((visibility("hidden")));
extern char _etext[] __attribute__((visibility("hidden")));

static u64 *pml4;
static u64 nx_bit; /* PTE_NX when the CPU has NX, else 0 (the bit would be reserved) */

struct map_plan {
	u64 image_base, image_end; /* 4 KiB-granular: [text_base, text_end) executable */
	u64 text_base, text_end;
	u64 trampoline;            /* page that AP start-up code runs from, 0 if none */
	u64 top;                   /* map [0, top) */
};

static u64 *alloc_table(void)
{
	u64 pa = palloc_page();
	if (!pa)
		panic("out of memory for the hypervisor's page tables");
	memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	return (u64 *)(uintptr_t)pa;
}

static unsigned index_at(u64 va, unsigned level)
{
	return (va >> (12 + 9 * level)) & (ENTRIES - 1);
}

/* The table at `level` (0 = PT, 1 = PD, 2 = PDPT) covering va, created on demand. */
static u64 *table_for(u64 va, unsigned level)
{
	u64 *t = pml4;
	for (unsigned l = 3; l > level; l--) {
		u64 *e = &t[index_at(va, l)];
		if (!(*e & PTE_P))
			*e = (u64)(uintptr_t)alloc_table() | PTE_P | PTE_W; /* leaves decide permissions */
		t = (u64 *)(uintptr_t)(*e & PTE_ADDR_MASK);
	}
	return t;
}

static bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/* Permissions of one 4 KiB page inside a finely mapped 2 MiB region; 0 = not mapped. */
static u64 small_page_flags(const struct map_plan *p, u64 pa)
{
	if (pa == 0)
		return 0; /* NULL dereferences fault */
	if (pa >= p->text_base && pa < p->text_end)
		return PTE_P; /* read-only, executable */
	if (p->trampoline && pa == p->trampoline)
		return PTE_P | PTE_W; /* written, then executed by starting APs */
	return PTE_P | PTE_W | nx_bit;
}

static void map_region_2m(const struct map_plan *p, u64 base)
{
	bool fine = base == 0 || overlaps(base, base + SZ_2M, p->image_base, p->image_end) ||
		    (p->trampoline && overlaps(base, base + SZ_2M, p->trampoline, p->trampoline + PAGE_SIZE));
	if (!fine) {
		table_for(base, 1)[index_at(base, 1)] = base | PTE_P | PTE_W | PTE_PS | nx_bit;
		return;
	}
	u64 *pt = table_for(base, 0);
	for (u64 pa = base; pa < base + SZ_2M; pa += PAGE_SIZE)
		pt[index_at(pa, 0)] = small_page_flags(p, pa) ? pa | small_page_flags(p, pa) : 0;
}

static u64 highest_address(const struct boot_info *bi)
{
	u64 top = LOW_MMIO_END;
	for (u32 i = 0; i < bi->mem_count; i++)
		top = MAX(top, bi->mem[i].base + bi->mem[i].len);
	if (bi->fb.base)
		top = MAX(top, bi->fb.base + (u64)bi->fb.pitch_bytes * bi->fb.height);
	return ALIGN_UP(top, SZ_2M);
}

void paging_init(const struct boot_info *bi)
{
	struct map_plan p = {
		.image_base = ALIGN_DOWN(bi->hv_base, PAGE_SIZE),
		.image_end = ALIGN_UP(bi->hv_end, PAGE_SIZE),
		.text_base = ALIGN_DOWN((u64)(uintptr_t)_text, PAGE_SIZE),
		.text_end = ALIGN_UP((u64)(uintptr_t)_etext, PAGE_SIZE),
		.trampoline = bi->trampoline,
		.top = highest_address(bi),
	};
	nx_bit = cpu_features.nx ? PTE_NX : 0;
	pml4 = alloc_table();
	for (u64 base = 0; base < p.top; base += SZ_2M)
		map_region_2m(&p, base);

	if (nx_bit)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr3((u64)(uintptr_t)pml4);
	/* Read-only applies to the hypervisor too (WP). Some loaders (Bochs' BIOS
	 * with GRUB) leave the caches disabled (CD, NW): turn them on. */
	write_cr0((read_cr0() | CR0_WP) & ~(CR0_CD | CR0_NW));
	kprintf("hv: page tables: 0-0x%lx identity-mapped, text 0x%lx-0x%lx read-only, NX %s\n",
		(unsigned long)p.top, (unsigned long)p.text_base, (unsigned long)p.text_end, nx_bit ? "on" : "unavailable");
}

u64 paging_root(void)
{
	return (u64)(uintptr_t)pml4;
}

bool paging_is_mapped(u64 va)
{
	if (!pml4)
		return false;
	const u64 *t = pml4;
	for (unsigned level = 3;; level--) {
		u64 e = t[index_at(va, level)];
		if (!(e & PTE_P))
			return false;
		if (level == 0 || (level == 1 && (e & PTE_PS)))
			return true;
		t = (const u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
}
