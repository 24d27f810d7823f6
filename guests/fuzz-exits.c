/*
 * A guest fuzzer of the hypervisor's exit handlers: `count` random actions
 * from a seeded generator (args seed= and count=), each run inside
 * catch_exception so a fault is just an outcome: port reads and writes of
 * every size, RDMSR/WRMSR of random indices and values, CPUID leaves,
 * hypercalls with random numbers, arguments and buffers (HC_MEMSLOT lists
 * included), MMIO of every size on the test device and where no RAM is,
 * INVD/WBINVD/RDPMC/INVLPGA/RDTSCP, debug registers. What would end or
 * break the guest itself is left out (the exit port, COM1, the MSRs its
 * runtime relies on, EFER, descriptor tables, the device hole outside the
 * test device). The hypervisor must survive every action; the guest ends
 * with one TAP line and the exit count (tools/fuzz-guests.sh).
 */
#include "guest.h"
#include "x86.h"

#define TESTDEV 0xfeb00000ul
#define UNBACKED 0x20000000ul /* above RAM (16 MiB), below the device hole */

static u64 state;

static u64 rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static u8 scratch[2 * 4096] __attribute__((aligned(4096)));

struct action { u64 a, b, c; };

static void port_io(void *arg)
{
	struct action *x = arg;
	u16 port = (u16)x->a;
	if ((port >= 0xf4 && port <= 0xf7) || (port >= 0x3f8 && port <= 0x3ff))
		return; /* the exit port, COM1 (the guest's own TAP output) */
	switch (x->b % 6) {
	case 0: inb(port); break;
	case 1: inw(port); break;
	case 2: inl(port); break;
	case 3: outb(port, (u8)x->c); break;
	case 4: outw(port, (u16)x->c); break;
	default: outl(port, (u32)x->c); break;
	}
}

static bool msr_kept(u32 index)
{
	return index == MSR_EFER || index == MSR_APIC_BASE || (index >= 0xc0000100u && index <= 0xc0000102u);
}

static void msr_access(void *arg)
{
	struct action *x = arg;
	static const u32 bases[] = { 0, 0x100, 0xc0000000u, 0xc0010000u, 0x40000000u };
	u32 index = (x->a & 1) ? (u32)(x->a >> 1) : bases[(x->a >> 1) % 5] + (u32)((x->a >> 8) & 0x1ff);
	if (x->b & 1) {
		if (!msr_kept(index))
			wrmsr(index, x->c);
	} else {
		rdmsr(index);
	}
}

static void cpuid_random(void *arg)
{
	struct action *x = arg;
	cpuid((u32)x->a & ((x->a >> 40) & 1 ? 0xffffffffu : 0x8000001fu), (u32)x->b);
}

/* A buffer argument: the scratch page, an address without RAM, or a small random value. */
static unsigned long buffer(u64 r)
{
	switch (r % 4) {
	case 0: return (unsigned long)scratch + (r >> 8) % 4096;
	case 1: return UNBACKED + ((r >> 8) & 0xffffff);
	case 2: return (r >> 8) & 0xfffffffffffful; /* may be anything: the hypervisor checks */
	default: return 0;
	}
}

static void hypercall_random(void *arg)
{
	struct action *x = arg;
	unsigned long nr = x->a % 8;
	if (nr == HC_EXIT || nr == HC_READ_STATS || (nr == HC_MEMSLOT && (x->a >> 8) % 4 == 2))
		nr = HC_VERSION; /* HC_EXIT ends the VM; a write to a random address would hit the guest */
	if (nr == HC_MEMSLOT) {
		for (u32 i = 0; i < 16; i++)
			((u64 *)scratch)[i] = rnd() & ((rnd() & 1) ? 0x7 : ~0ul);
		hcall(nr, (unsigned long)scratch, x->b % 4, 0, 0, NULL);
		return;
	}
	hcall(nr, buffer(x->b), (x->c & 1) ? (x->c >> 1) % 5000 : x->c, rnd(), rnd(), NULL);
}

static void mmio_random(void *arg)
{
	struct action *x = arg;
	volatile u8 *p = (volatile u8 *)((x->a & 1) ? TESTDEV + ((x->a >> 1) & 0xfff) : UNBACKED + ((x->a >> 1) & 0xfffff));
	switch (x->b % 8) {
	case 0: (void)*p; break;
	case 1: (void)*(volatile u16 *)p; break;
	case 2: (void)*(volatile u32 *)p; break;
	case 3: (void)*(volatile u64 *)p; break;
	case 4: *p = (u8)x->c; break;
	case 5: *(volatile u16 *)p = (u16)x->c; break;
	case 6: *(volatile u32 *)p = (u32)x->c; break;
	default: *(volatile u64 *)p = x->c; break;
	}
}

static void privileged(void *arg)
{
	struct action *x = arg;
	u32 lo, hi, aux;
	switch (x->a % 7) {
	case 0: __asm__ volatile("invd" ::: "memory"); break;
	case 1: __asm__ volatile("wbinvd" ::: "memory"); break;
	case 2: __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"((u32)x->b)); break;
	case 3: __asm__ volatile(".byte 0x0f, 0x01, 0xdf" : : "a"(x->b), "c"((u32)x->c) : "memory"); break;
	case 4: __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)); break;
	case 5: __asm__ volatile("mov %0, %%dr0; mov %0, %%dr3" : : "r"(x->b & 0x7fffffffffffull)); break;
	default: __asm__ volatile("mov %0, %%dr6" : : "r"(x->b)); break;
	}
}

static void (*const actions[])(void *) = { port_io, msr_access, cpuid_random, hypercall_random, mmio_random, privileged };

void test_main(void)
{
	u64 seed = cmdline_number("seed", 1), count = cmdline_number("count", 10000);
	u64 faults = 0;
	struct hc_stats s;

	state = seed * 0x9e3779b97f4a7c15ull | 1;
	plan(1);
	for (u64 i = 0; i < count; i++) {
		struct action x = { rnd(), rnd(), rnd() };
		faults += catch_exception(actions[rnd() % (sizeof(actions) / sizeof(actions[0]))], &x) >= 0;
	}
	bool stats = read_stats(&s);
	print("\n"); /* end whatever line a random console write left open */
	ok(stats, "%lu random actions (seed %lu): %lu faulted; the VM made %lu exits", (unsigned long)count,
	   (unsigned long)seed, (unsigned long)faults, stats ? (unsigned long)s.exits : 0ul);
}
