#include "paging.h"
#include "cpu.h"
#include "gstring.h"

#define ENTRIES 512
#define POOL_PAGES 8

/* Page tables for new mappings; a guest needs only a few. */
static u64 pool[POOL_PAGES][ENTRIES] __attribute__((aligned(4096)));
static int pool_used;

static unsigned index_at(u64 va, int level) /* level 4 = PML4 ... 1 = PT */
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static u64 *table_at(u64 entry)
{
	return (u64 *)(unsigned long)(entry & PTE_ADDR_MASK);
}

u64 *paging_lookup(u64 va, u64 *page_size)
{
	u64 *table = (u64 *)(read_cr3() & PTE_ADDR_MASK);
	for (int level = 4; level >= 1; level--) {
		u64 *e = &table[index_at(va, level)];
		if (!(*e & PTE_P))
			return NULL;
		if (level == 1 || (*e & PTE_PS)) {
			*page_size = 1ull << (12 + 9 * (level - 1));
			return e;
		}
		table = table_at(*e);
	}
	return NULL;
}

static u64 *new_table(void)
{
	if (pool_used == POOL_PAGES)
		return NULL;
	return pool[pool_used++]; /* .bss: already zero */
}

/* Replaces the 2 MiB leaf *e by a table of 512 4 KiB pages mapping the same. */
static bool split_2m(u64 *e)
{
	u64 *pt = new_table();
	if (!pt)
		return false;
	u64 base = *e & PTE_ADDR_MASK & ~(SZ_2M - 1);
	u64 flags = *e & ~PTE_ADDR_MASK & ~PTE_PS;
	for (unsigned i = 0; i < ENTRIES; i++)
		pt[i] = (base + i * PAGE_SIZE) | flags;
	*e = (u64)(unsigned long)pt | PTE_P | PTE_W | PTE_U;
	return true;
}

bool paging_map_4k(u64 va, u64 pa, u64 flags)
{
	u64 *table = (u64 *)(read_cr3() & PTE_ADDR_MASK);
	for (int level = 4; level > 1; level--) {
		u64 *e = &table[index_at(va, level)];
		if (!(*e & PTE_P)) {
			u64 *t = new_table();
			if (!t)
				return false;
			*e = (u64)(unsigned long)t | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			if (level != 2 || !split_2m(e))
				return false; /* 1 GiB pages are never used by the runtime */
			write_cr3(read_cr3()); /* the old 2 MiB translation must go */
		}
		table = table_at(*e);
	}
	table[index_at(va, 1)] = (pa & PTE_ADDR_MASK) | flags | PTE_P;
	invlpg((unsigned long)va);
	return true;
}
