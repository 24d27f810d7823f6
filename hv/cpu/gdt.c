/* GDT + TSS. Long mode ignores segment bases and limits for code and data;
 * what matters is the L bit of CS, and a TSS for the IST stacks. */
#include "hv/cpu/gdt.h"
#include "hv/panic.h"
#include "mm/page_alloc.h"
#include "kstring.h"

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

struct cpu_gdt {
	u64 entries[5]; /* null, code, data, TSS (two slots) */
	struct tss64 tss;
} __attribute__((aligned(16)));

struct gdt_pointer {
	u16 limit;
	u64 base;
} __attribute__((packed));

#define SEG_CODE64 0x00AF9A000000FFFFull /* present, DPL 0, execute/read, L=1 */
#define SEG_DATA 0x00CF92000000FFFFull   /* present, DPL 0, read/write */
#define TSS_TYPE_AVAILABLE 0x9
#define DESC_PRESENT (1ull << 47)

static struct cpu_gdt cpu_gdts[GDT_MAX_CPUS];

/* A 64-bit TSS descriptor spans two GDT slots: base bits 63:32 live in the second. */
static void set_tss_descriptor(u64 *slot, u64 base, u32 limit)
{
	slot[0] = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) | ((u64)TSS_TYPE_AVAILABLE << 40) |
		  DESC_PRESENT | ((u64)((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFFull) << 56);
	slot[1] = base >> 32;
}

static u64 alloc_ist_stack(void)
{
	u64 base = palloc(IST_STACK_SIZE / PAGE_SIZE, PAGE_SIZE);
	if (!base)
		panic("out of memory for the interrupt stacks");
	return base + IST_STACK_SIZE; /* stacks grow down */
}

/* Loads the GDT, then CS through a far return and the data segments directly. */
static void load_gdt(const struct cpu_gdt *g)
{
	struct gdt_pointer p = { sizeof(g->entries) - 1, (u64)(uintptr_t)g->entries };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "mov %3, %%fs\n\t"
			 "mov %3, %%gs\n\t"
			 "ltr %w4\n\t"
			 :
			 : "m"(p), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS), "r"(0), "r"(GDT_TSS)
			 : "rax", "memory");
}

void gdt_init_cpu(u32 cpu)
{
	if (cpu >= GDT_MAX_CPUS)
		panic("CPU %u is beyond GDT_MAX_CPUS (%u)", cpu, GDT_MAX_CPUS);
	struct cpu_gdt *g = &cpu_gdts[cpu];
	memset(g, 0, sizeof(*g));
	g->entries[GDT_KERNEL_CS / 8] = SEG_CODE64;
	g->entries[GDT_KERNEL_DS / 8] = SEG_DATA;
	g->tss.iomap_base = sizeof(g->tss); /* no I/O permission bitmap */
	g->tss.ist[IST_DOUBLE_FAULT - 1] = alloc_ist_stack();
	g->tss.ist[IST_NMI - 1] = alloc_ist_stack();
	g->tss.ist[IST_MACHINE_CHECK - 1] = alloc_ist_stack();
	set_tss_descriptor(&g->entries[GDT_TSS / 8], (u64)(uintptr_t)&g->tss, sizeof(g->tss) - 1);
	load_gdt(g);
}
