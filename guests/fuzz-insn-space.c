/*
 * The fuzzer's machine state (fuzz-insn.c): its IDT (every vector to a stub
 * of fuzz-insn-run.asm; 64-bit: on IST 1), the address space of random-byte
 * runs, and what SYSCALL and SYSENTER jump to.
 *
 * The random address space maps RAM only, never a device (a random pointer
 * must not make the hypervisor emulate MMIO from an arbitrary instruction,
 * which stops the VM by design), and keeps everything below FUZZ_RW
 * read-only (CR0.WP is set once here): a random store cannot write over
 * the fuzzer, its IDT, these tables or the code being run. 64-bit: the
 * first 16 MiB identity-mapped, the rest not present (#PF; exceptions run
 * on IST 1, whatever RSP is). 32-bit has no IST: an exception with ESP
 * where no writable page is would be a triple fault, so beyond 16 MiB
 * every 4 MiB page aliases the writable RAM at FUZZ_RW.
 */
#include "guest.h"
#include "x86.h"
#include "fuzz-insn.h"

#define PAGE_P 0x1ul
#define PAGE_RW 0x2ul
#define PAGE_PS 0x80ul
#ifdef __x86_64__
#define GATE_SIZE 16
#define LARGE_PAGE 0x200000ul
#define CODE_SELECTOR SEL_CODE64
#else
#define GATE_SIZE 8
#define LARGE_PAGE 0x400000ul
#define CODE_SELECTOR SEL_CODE32
#endif

extern const unsigned long fuzz_stub_table[256];

static u8 idt[256 * GATE_SIZE] __attribute__((aligned(16)));
struct fuzz_idtr fuzz_idtr = { sizeof(idt) - 1, (unsigned long)idt };

/* Random runs: 64-bit PML4 -> PDPT -> one directory of 2 MiB pages;
 * 32-bit one directory of 4 MiB pages (CR4.PSE, set by fuzz_run). */
static unsigned long dir[512 * 8 / sizeof(unsigned long)] __attribute__((aligned(4096)));
#ifndef __x86_64__
static unsigned long low_table[1024] __attribute__((aligned(4096)));
static unsigned long code_table[1024] __attribute__((aligned(4096)));
#endif
#ifdef __x86_64__
static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pml4_copy[512] __attribute__((aligned(4096)));
#endif

static void set_gate(int v, unsigned long addr)
{
	u8 *g = &idt[v * GATE_SIZE];
	g[0] = (u8)addr;
	g[1] = (u8)(addr >> 8);
	g[2] = (u8)CODE_SELECTOR;
	g[3] = 0;
	g[4] = sizeof(long) == 8 ? 1 : 0; /* IST 1 */
	g[5] = 0x8e;                      /* present, DPL 0, interrupt gate */
	g[6] = (u8)(addr >> 16);
	g[7] = (u8)(addr >> 24);
#ifdef __x86_64__
	*(u32 *)&g[8] = (u32)(addr >> 32);
	*(u32 *)&g[12] = 0;
#endif
}

#ifndef __x86_64__
static unsigned long alias(unsigned long a)
{
	return FUZZ_RW + a % LARGE_PAGE;
}

/* 32-bit: every page but the image and the code buffer is writable RAM,
 * the RAM at FUZZ_RW where it is not itself: whatever ESP a random run
 * leaves, an exception can push its frame. */
static void alias_all_but_image(void)
{
	unsigned long image_end = ((unsigned long)__bss_end + 4095) & ~4095ul;
	for (unsigned long i = 0; i < 1024; i++) {
		unsigned long a = i * 4096;
		bool image = a >= (unsigned long)__image_start && a < image_end;
		low_table[i] = image ? a | PAGE_P : alias(a) | PAGE_P | PAGE_RW;
		code_table[i] = i == 0 ? FUZZ_CODE | PAGE_P : alias(a) | PAGE_P | PAGE_RW;
	}
	for (unsigned long i = 0; i < 1024; i++)
		dir[i] = FUZZ_RW | PAGE_P | PAGE_PS | PAGE_RW; /* FUZZ_RW itself, and aliases */
	dir[0] = (unsigned long)low_table | PAGE_P | PAGE_RW;
	dir[FUZZ_CODE / LARGE_PAGE] = (unsigned long)code_table | PAGE_P | PAGE_RW;
}
#endif

static void map_ram(void)
{
	for (unsigned long a = 0; a < FUZZ_RAM_END; a += LARGE_PAGE)
		dir[a / LARGE_PAGE] = a | PAGE_P | PAGE_PS | (a >= FUZZ_RW ? PAGE_RW : 0);
#ifndef __x86_64__
	alias_all_but_image();
#endif
#ifdef __x86_64__
	pdpt[0] = (u64)(unsigned long)dir | PAGE_P | PAGE_RW;
	pml4[0] = (u64)(unsigned long)pdpt | PAGE_P | PAGE_RW;
	/* Another CR3 with the same translations, for MOV CR3 runs. */
	memcpy(pml4_copy, (void *)(read_cr3() & ~0xffful), sizeof(pml4_copy));
#endif
}

/* SYSCALL and SYSENTER land on INT3s at the end of the code buffer. */
static void syscall_targets(void)
{
	unsigned long pad = FUZZ_CODE + FUZZ_CODE_SIZE - 0x100;
#ifdef __x86_64__
	wrmsr(MSR_STAR, (u64)SEL_CODE64 << 32);
	wrmsr(MSR_LSTAR, pad);
	wrmsr(MSR_CSTAR, pad);
#else
	wrmsr(MSR_STAR, (u64)SEL_CODE32 << 32 | pad); /* legacy-mode SYSCALL (AMD): EIP from STAR */
#endif
	wrmsr(MSR_SFMASK, 0);
	wrmsr(MSR_SYSENTER_CS, SEL_CODE32);
	wrmsr(MSR_SYSENTER_ESP, FUZZ_STACK_TOP);
	wrmsr(MSR_SYSENTER_EIP, pad);
}

static unsigned long cr3_at_start;

void fuzz_setup(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, fuzz_stub_table[v]);
#ifdef __x86_64__
	tss_set_ist(1, (void *)FUZZ_IST_TOP);
#endif
	cr3_at_start = read_cr3();
	map_ram();
	write_cr0(read_cr0() | CR0_WP | CR0_NE); /* NE: x87 errors as #MF, not FERR# (gen.c, cr0_value) */
	memset((void *)FUZZ_CODE, 0xcc, FUZZ_CODE_SIZE);
	syscall_targets();
}

unsigned long fuzz_random_cr3(void)
{
#ifdef __x86_64__
	return (unsigned long)pml4;
#else
	return (unsigned long)dir;
#endif
}

unsigned long fuzz_saved_cr3(void)
{
	return cr3_at_start;
}

unsigned long fuzz_copy_cr3(void)
{
#ifdef __x86_64__
	return (unsigned long)pml4_copy;
#else
	return cr3_at_start;
#endif
}

/* Templates run in the guest's own address space (32-bit: paging off). */
unsigned long fuzz_template_cr3(void)
{
#ifdef __x86_64__
	return cr3_at_start;
#else
	return 0;
#endif
}
