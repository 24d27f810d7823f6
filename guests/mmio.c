/* The MMIO test device (include/hypercall.h) through the MOV forms a guest
 * uses against devices: loads and stores of 8/16/32/64 bits, MOV imm,
 * MOVZX/MOVSX, moffs, high-byte and REX registers, SIB addressing; and
 * pc-testdev memory through string and atomic instructions and through
 * segments with nonzero bases, which 64-bit mode ignores but for FS/GS. */
#include "guest.h"

_Static_assert(TESTDEV_BASE == 0xFEB00000ull, "the moffs forms below spell the address");
#define ONES (~0ull)
#define ID TESTDEV_ID_VALUE

static const unsigned long dev = TESTDEV_BASE;

/* Runs one instruction with RAX = preload and RBX = the device base; returns RAX. */
#define LOAD(insn, preload) ({                                                            \
	u64 _v = (preload);                                                               \
	__asm__ volatile(insn : "+a"(_v) : "b"(dev), "c"(1ul) : "memory");                \
	_v;                                                                               \
})
/* Runs one instruction with RAX = value, RCX = 0x80, RBX = the device base. */
#define STORE(insn, value) __asm__ volatile(insn ::"a"((u64)(value)), "b"(dev), "c"(0x80ul) : "memory")
#define SCRATCH() LOAD("mov (%%rbx), %%rax", 0)

static void loads(void)
{
	ok_eq(LOAD("mov 8(%%rbx), %%rax", 0), ID, "hv: MOV r64, m64 reads the ID register");
	ok_eq(LOAD("mov 8(%%rbx), %%eax", ONES), ID & 0xFFFFFFFF, "hv: MOV r32, m32 (low half, upper RAX cleared)");
	ok_eq(LOAD("mov 12(%%rbx), %%eax", 0), ID >> 32, "hv: MOV r32, m32 (high half)");
	ok_eq(LOAD("mov 8(%%rbx), %%ax", ONES), ~0xFFFFull | (ID & 0xFFFF), "hv: MOV r16, m16 keeps RAX[63:16]");
	ok_eq(LOAD("mov 8(%%rbx), %%al", ONES), ~0xFFull | (ID & 0xFF), "hv: MOV r8, m8 keeps RAX[63:8]");
	ok_eq(LOAD("mov 9(%%rbx), %%ah", ONES), ~0xFF00ull | (((ID >> 8) & 0xFF) << 8), "hv: MOV AH, m8 (high-byte register)");
	ok_eq(LOAD("movzbl 15(%%rbx), %%eax", ONES), ID >> 56, "hv: MOVZX r32, m8");
	ok_eq(LOAD("movzwq 14(%%rbx), %%rax", ONES), ID >> 48, "hv: MOVZX r64, m16");
	ok_eq(LOAD("movabs 0xFEB00008, %%rax", 0), ID, "hv: MOV RAX, moffs64");
	ok_eq(LOAD("movabs 0xFEB0000C, %%eax", ONES), ID >> 32, "hv: MOV EAX, moffs32");
	ok_eq(LOAD("movabs 0xFEB00008, %%al", 0), ID & 0xFF, "hv: MOV AL, moffs8");
	ok_eq(LOAD("mov %%rbx, %%r10; mov 8(%%r10), %%r9; mov %%r9, %%rax", 0), ID, "hv: MOV r9, [r10+8] (REX registers)");
	ok_eq(LOAD("mov (%%rbx,%%rcx,8), %%rax", 0), ID, "hv: MOV r64, [rbx+rcx*8] (SIB)");
}

static void stores(void)
{
	STORE("mov %%rax, (%%rbx)", 0x0123456789ABCDEFull);
	ok_eq(SCRATCH(), 0x0123456789ABCDEFull, "hv: MOV m64, r64 then read back");
	STORE("mov %%rax, (%%rbx)", 0x1111111111111111ull);
	STORE("mov %%eax, (%%rbx)", 0xAABBCCDD);
	STORE("mov %%ax, 4(%%rbx)", 0xEEFF);
	STORE("mov %%al, 7(%%rbx)", 0x99);
	ok_eq(SCRATCH(), 0x9911EEFFAABBCCDDull, "hv: MOV m32, m16, m8 stores change only their bytes");
	STORE("mov %%ah, 6(%%rbx)", 0x4200);
	ok_eq(SCRATCH() >> 48 & 0xFF, 0x42, "hv: MOV m8, AH (high-byte register)");
	STORE("movq $-2, (%%rbx)", 0);
	ok_eq(SCRATCH(), 0xFFFFFFFFFFFFFFFEull, "hv: MOV m64, imm32 sign-extends");
	STORE("movl $0x12345678, (%%rbx); movw $0xBEEF, 4(%%rbx); movb $0x7F, 7(%%rbx)", 0);
	ok_eq(SCRATCH(), 0x7FFFBEEF12345678ull, "hv: MOV m32/m16/m8, imm");
	STORE("movabs %%rax, 0xFEB00000", 0x0102030405060708ull);
	STORE("movabs %%al, 0xFEB00000", 0xF8);
	ok_eq(SCRATCH(), 0x01020304050607F8ull, "hv: MOV moffs64, RAX and MOV moffs8, AL");
	STORE("mov %%rax, (%%rbx)", 0x8001000000000080ull);
	ok_eq(LOAD("movsbq (%%rbx), %%rax", 0), (u64)-128, "hv: MOVSX r64, m8 sign-extends 0x80");
	ok_eq(LOAD("movswl 6(%%rbx), %%eax", ONES), 0xFFFF8001ull, "hv: MOVSX r32, m16 (upper RAX cleared)");
}

static void registers(void)
{
	STORE("mov %%rax, 8(%%rbx)", 0);
	ok_eq(LOAD("mov 8(%%rbx), %%rax", 0), ID, "hv: writes to the ID register are ignored");
	STORE("movb $0x5A, 0x10(%%rbx)", 0);
	ok_eq(LOAD("mov 0x10(%%rbx), %%al", 0), 0x5A, "hv: the byte register reads back what was written");
	STORE("mov %%cl, 0x10(%%rbx)", 0);
	ok_eq(LOAD("movsbl 0x10(%%rbx), %%eax", 0), 0xFFFFFF80ull, "hv: MOVSX r32, m8 of the byte register");
	ok_eq(LOAD("mov 0x10(%%rbx), %%eax", 0), 0xFFFFFFFFull, "hv: a 32-bit read of the byte register reads all-ones");
	ok_eq(LOAD("mov 6(%%rbx), %%eax", 0), 0xFFFFFFFFull, "hv: a read straddling two registers reads all-ones");
	STORE("mov %%rax, 0x100(%%rbx)", 0);
	ok_eq(LOAD("mov 0x100(%%rbx), %%rax", 0), ONES, "hv: an offset with no register reads all-ones");
}

static void touch_device(void *arg)
{
	(void)LOAD("mov 8(%%rbx), %%rax", 0);
	STORE("mov %%rax, (%%rbx)", 1);
}

static void accesses_counted(void)
{
	struct hc_stats b, a;
	bool got = stats_around(touch_device, NULL, &b, &a);
	if (!ok(got && a.mmio_accesses == b.mmio_accesses + 2, "hv: MMIO accesses are counted (+2)") && got)
		diag("mmio_accesses %lu -> %lu", b.mmio_accesses, a.mmio_accesses);
}

/* QEMU's pc-testdev memory: 64 KiB of scratch at 0xFF000000, every access emulated. */
#define PC_TESTDEV_MEM 0xFF000000ul

static void pc_testdev_memory(void)
{
	volatile u8 *m = (volatile u8 *)PC_TESTDEV_MEM;
	ok(paging_map_4k(PC_TESTDEV_MEM, PC_TESTDEV_MEM, PTE_W | PTE_PCD | PTE_PWT) &&
		   paging_map_4k(PC_TESTDEV_MEM + 0xF000, PC_TESTDEV_MEM + 0xF000, PTE_W | PTE_PCD | PTE_PWT),
	   "pc-testdev memory: first and last pages mapped uncached");
	*(volatile u64 *)m = 0x0807060504030201ull;
	*(volatile u16 *)(m + 2) = 0xBBAA;
	m[7] = 0xCC;
	ok_eq(*(volatile u64 *)m, 0xCC070605BBAA0201ull, "pc-testdev memory: 64/16/8-bit stores, a 64-bit load");
	*(volatile u32 *)(m + 0xFFFC) = 0xDEADBEEF;
	ok(*(volatile u32 *)(m + 0xFFFC) == 0xDEADBEEF && m[0xFFFF] == 0xDE,
	   "pc-testdev memory: its last 4 bytes (0xFF00FFFC) hold a 32-bit store");
}

/* String and atomic instructions against pc-testdev memory (test kernels use them). */
static void pc_testdev_string_atomic(void)
{
	volatile u64 *q = (volatile u64 *)(PC_TESTDEV_MEM + 0x100);
	u64 rax = 0x2222, rcx, rdi, rsi;
	bool zf;

	*q = 0x1111;
	__asm__ volatile("xchg %0, (%1)" : "+r"(rax) : "r"(q) : "memory");
	ok(rax == 0x1111 && *q == 0x2222, "pc-testdev memory: XCHG swaps register and memory");

	*q = 5;
	rax = 5;
	__asm__ volatile("lock cmpxchg %2, (%3); setz %1" : "+a"(rax), "=r"(zf) : "r"(9ul), "r"(q) : "memory", "cc");
	ok(zf && *q == 9, "pc-testdev memory: LOCK CMPXCHG stores when equal (ZF set)");
	__asm__ volatile("lock cmpxchg %2, (%3); setz %1" : "+a"(rax), "=r"(zf) : "r"(7ul), "r"(q) : "memory", "cc");
	ok(!zf && rax == 9 && *q == 9, "pc-testdev memory: CMPXCHG loads rAX when not equal (ZF clear)");

	volatile u32 *d = (volatile u32 *)(PC_TESTDEV_MEM + 0x200);
	rdi = (u64)d;
	rcx = 4;
	__asm__ volatile("rep stosl" : "+D"(rdi), "+c"(rcx) : "a"(0xA5A5A5A5u) : "memory");
	ok(d[0] == 0xA5A5A5A5u && d[3] == 0xA5A5A5A5u && rcx == 0 && rdi == (u64)d + 16,
	   "pc-testdev memory: REP STOSD writes 4 dwords, RDI +16, RCX 0");

	static u64 src[3] = { 0x1111222233334444ull, 0x5555666677778888ull, 0x99990000AAAABBBBull };
	volatile u64 *dst = (volatile u64 *)(PC_TESTDEV_MEM + 0x300);
	rsi = (u64)src;
	rdi = (u64)dst;
	rcx = 3;
	__asm__ volatile("rep movsq" : "+S"(rsi), "+D"(rdi), "+c"(rcx) : : "memory");
	ok(dst[0] == src[0] && dst[2] == src[2] && rcx == 0 && rsi == (u64)src + 24,
	   "pc-testdev memory: REP MOVSQ from RAM into it");

	static u8 back[8];
	rsi = (u64)dst;
	rdi = (u64)back;
	rcx = 5;
	__asm__ volatile("rep movsb" : "+S"(rsi), "+D"(rdi), "+c"(rcx) : : "memory");
	ok(back[0] == 0x44 && back[4] == 0x22 && back[5] == 0 && rdi == (u64)back + 5,
	   "pc-testdev memory: REP MOVSB from it into RAM");
}

/*
 * Segment bases in 64-bit mode (SDM vol. 1, 3.3.7.1 and 3.4.2.1): the CPU
 * treats the bases of CS, DS, ES and SS as zero, FS and GS keep theirs. A
 * descriptor's base is still loaded into the hidden part of the segment
 * register, so the virtualization hardware's saved guest state holds it: an emulator
 * that adds it computes the wrong address.
 *
 * Each test loads descriptors with a nonzero base and then accesses
 * pc-testdev memory (every access an MMIO exit the hypervisor emulates by
 * decoding the instruction at RIP). Guards (issue 13, finding 6 c):
 * - hv/devices/mmio.c operand_gpa: no DS/SS base in 64-bit mode, FS's kept
 *   (without it the decoded address differs from the faulting one and the
 *   VM is stopped: "does not access");
 * - hv/emulate/guest_insn.c guest_string_linear: no ES base for the MOVS
 *   destination (without it the data goes to the wrong place);
 * - hv/emulate/guest_insn.c guest_fetch_insn: no CS base (without it the
 *   fetch reads 1 GiB above RIP, where there is no RAM: "cannot emulate").
 */
#define DEV (PC_TESTDEV_MEM + 0x800) /* in its first page, clear of the tests above */
#define CODE_BASE 0x40000000u /* 1 GiB: beyond the VM's RAM, so a fetch adding it finds nothing */
#define DATA_BASE 0x00400000u /* 4 MiB: DEV + it is another address, in no device */

/* Our GDT: the runtime's (guests/lib/gdt.inc, so its selectors stay valid) and two based segments. */
#define RUNTIME_GDT_ENTRIES 8
#define SEL_CODE64_BASED 0x40
#define SEL_DATA_BASED 0x48
extern u64 runtime_gdt[];
static u64 gdt[RUNTIME_GDT_ENTRIES + 2] __attribute__((aligned(16)));

struct __attribute__((packed)) dtr {
	u16 limit;
	u64 base;
};

/* A descriptor with `base`: `flat` is a flat one of gdt.inc (base 0). */
static u64 with_base(u64 flat, u32 base)
{
	return flat | (u64)(base & 0xFFFFFF) << 16 | (u64)(base >> 24) << 56;
}

static void load_gdt(void)
{
	for (int i = 0; i < RUNTIME_GDT_ENTRIES; i++)
		gdt[i] = runtime_gdt[i];
	gdt[SEL_CODE64_BASED / 8] = with_base(0x00AF9A000000FFFFull, CODE_BASE); /* 64-bit code */
	gdt[SEL_DATA_BASED / 8] = with_base(0x00CF92000000FFFFull, DATA_BASE);   /* data, writable */
	struct dtr d = { sizeof(gdt) - 1, (u64)(unsigned long)gdt };
	__asm__ volatile("lgdt %0" ::"m"(d) : "memory");
}

static u64 dev_u64(u64 offset) { return *(volatile u64 *)(DEV + offset); }
static void set_dev_u64(u64 offset, u64 v) { *(volatile u64 *)(DEV + offset) = v; }

/* MOV to and from [rbx] with DS based (default segment DS). */
static void data_segment(void)
{
	u64 got;
	set_dev_u64(0x10, 0);
	__asm__ volatile("mov %%ds, %%r8; mov %w[sel], %%ds\n\t"
			 "mov %[v], (%%rbx)\n\t"
			 "mov %%r8, %%ds"
			 :
			 : [sel] "r"(SEL_DATA_BASED), [v] "r"(0x1122334455667788ull), "b"(DEV + 0x10)
			 : "r8", "memory");
	ok_eq(dev_u64(0x10), 0x1122334455667788ull, "DS base ignored: a MOV store through DS reaches the address itself");
	set_dev_u64(0x18, 0xA5A5A5A5C3C3C3C3ull);
	__asm__ volatile("mov %%ds, %%r8; mov %w[sel], %%ds\n\t"
			 "mov 8(%%rbx), %[got]\n\t"
			 "mov %%r8, %%ds"
			 : [got] "=&r"(got)
			 : [sel] "r"(SEL_DATA_BASED), "b"(DEV + 0x10)
			 : "r8", "memory");
	ok_eq(got, 0xA5A5A5A5C3C3C3C3ull, "DS base ignored: a MOV load through DS reads the address");
}

/* A load through [rbp] (default segment SS) with SS based. */
static void stack_segment(void)
{
	u64 got;
	set_dev_u64(0x20, 0x0F1E2D3C4B5A6978ull);
	__asm__ volatile("mov %%ss, %%r8; mov %w[sel], %%ss\n\t"
			 "push %%rbp; mov %%rbx, %%rbp\n\t"
			 "mov (%%rbp), %[got]\n\t"
			 "pop %%rbp; mov %%r8, %%ss"
			 : [got] "=&r"(got)
			 : [sel] "r"(SEL_DATA_BASED), "b"(DEV + 0x20)
			 : "r8", "memory");
	ok_eq(got, 0x0F1E2D3C4B5A6978ull, "SS base ignored: a MOV load through [rbp] reads the address");
}

/* REP MOVSQ from the device into RAM with DS and ES based: ES:RDI is the RAM side the emulation writes. */
static void string_destination(void)
{
	static u64 ram[2];
	u64 rsi = DEV + 0x30, rdi = (u64)(unsigned long)ram, rcx = 2;
	set_dev_u64(0x30, 0x1111222233334444ull);
	set_dev_u64(0x38, 0x5555666677778888ull);
	__asm__ volatile("mov %%ds, %%r8; mov %%es, %%r9; mov %w[sel], %%ds; mov %w[sel], %%es\n\t"
			 "rep movsq\n\t"
			 "mov %%r8, %%ds; mov %%r9, %%es"
			 : "+S"(rsi), "+D"(rdi), "+c"(rcx)
			 : [sel] "r"(SEL_DATA_BASED)
			 : "r8", "r9", "memory");
	ok(ram[0] == 0x1111222233334444ull && ram[1] == 0x5555666677778888ull && rcx == 0,
	   "ES and DS bases ignored: REP MOVSQ from the device lands at RDI");
}

/* FS keeps its base in 64-bit mode: FS:(DEV - base) is the device. */
static void fs_keeps_base(void)
{
	u64 got;
	set_dev_u64(0x40, 0x7766554433221100ull);
	__asm__ volatile("mov %w[sel], %%fs\n\t"
			 "mov %%fs:(%%rbx), %[got]\n\t"
			 "mov %w[flat], %%fs"
			 : [got] "=&r"(got)
			 : [sel] "r"(SEL_DATA_BASED), [flat] "r"(SEL_DATA), "b"(DEV + 0x40 - DATA_BASE)
			 : "memory");
	ok_eq(got, 0x7766554433221100ull, "FS base honoured: a load through FS reads FS.base + offset");
}

/* A store and a load executed with CS based; returns the CS they ran with. */
static u64 code_segment_accesses(u64 *got)
{
	u64 cs;
	__asm__ volatile("pushq %[sel]; lea 1f(%%rip), %%rax; push %%rax; lretq\n"
			 "1:\tmov %%cs, %[cs]\n\t"
			 "movq %[v], 0x50(%%rbx)\n\t"
			 "mov 0x50(%%rbx), %[got]\n\t"
			 "pushq %[flat]; lea 2f(%%rip), %%rax; push %%rax; lretq\n"
			 "2:"
			 : [cs] "=&r"(cs), [got] "=&r"(*got)
			 : [sel] "i"(SEL_CODE64_BASED), [flat] "i"(SEL_CODE64), [v] "r"(0xCAFEF00DD15EA5E5ull),
			   "b"(DEV)
			 : "rax", "memory");
	return cs;
}

static void code_segment(void)
{
	u64 got = 0;
	u64 cs = code_segment_accesses(&got);
	ok_eq(cs & 0xFFFF, SEL_CODE64_BASED, "a 64-bit code segment with base 1 GiB runs at RIP");
	ok_eq(got, 0xCAFEF00DD15EA5E5ull, "CS base ignored: a store and a load run with it reach the device");
}

static void segment_bases(void)
{
	u16 cs;
	load_gdt();
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ok_eq(cs, SEL_CODE64, "segment bases: the runtime's selectors keep working with a GDT of based segments");
	data_segment();
	stack_segment();
	string_destination();
	fs_keeps_base();
	code_segment();
}

void test_main(void)
{
	plan(46);
	/* Device memory is mapped uncached, as a driver would. */
	ok(paging_map_4k(TESTDEV_BASE, TESTDEV_BASE, PTE_W | PTE_PCD | PTE_PWT),
	   "the test device page is mapped uncached with a 4 KiB page");
	loads();
	stores();
	registers();
	accesses_counted();
	pc_testdev_memory();
	pc_testdev_string_atomic();
	segment_bases();
}
