/* Isolation between VMs and from the hypervisor. The suite runs this image
 * twice: args="role=plant" fills its free RAM and its whole memslot pool
 * with a secret, then exits; args="role=probe" (the next VM, which likely
 * gets the same host pages) reads every page it can reach: its RAM and its
 * pool must be zeroed (no secret, nothing left by anyone), addresses beyond
 * RAM must read all-ones at a sample of every 16 MiB up to the device hole,
 * and memslot calls that would reach past its pool must be refused. */
#include "guest.h"

#define POOL_SLOT 0x40000000ull /* the whole pool shows here */
#define PROBE_STEP 0x1000000ull /* beyond RAM: one read every 16 MiB */
#define HIGH_MEMORY 0x100000ull
#define TESTS 7

/* The secret differs for every address, so only planted words match it. */
static u64 secret(u64 addr)
{
	return (addr * 0xA24BAED4963EE407ull) ^ 0x5EC2E75EC2E75EC2ull;
}

static u64 ram_end(void)
{
	const struct multiboot_info *mb = multiboot();
	return 0x100000ull + mb->mem_upper * 1024ull;
}

static u64 image_end(void)
{
	return ALIGN_UP((u64)__bss_end, PAGE_SIZE); /* stack and page tables are in .bss */
}

static void plant(u64 start, u64 end)
{
	for (u64 a = start; a < end; a += 8)
		*(volatile u64 *)a = secret(a);
}

/* Counts planted words in [start, end) (the pool shows at the same place in
 * both VMs, RAM too) and, in *nonzero, words that are not zero. */
static u64 secrets_in(u64 start, u64 end, u64 *nonzero)
{
	u64 found = 0;
	for (u64 a = start; a < end; a += 8) {
		u64 v = *(volatile u64 *)a;
		found += v == secret(a);
		*nonzero += v != 0;
	}
	return found;
}

static u64 pool_bytes(void)
{
	struct hc_stats s;
	return read_stats(&s) ? (u64)s.pool_pages * PAGE_SIZE : 0;
}

static void planter(void)
{
	u64 pool = pool_bytes();
	ok(pool && memslot_op(HC_MEMSLOT_CREATE, POOL_SLOT, pool, 0, 0) == HC_OK,
	   "hv: the whole pool is mapped");
	plant(POOL_SLOT, POOL_SLOT + pool);
	plant(image_end(), ram_end());
	ok(true, "secret planted in RAM [0x%lx, 0x%lx) and the pool", image_end(), ram_end());
}

static void probe_ram(void)
{
	u64 nonzero = 0;
	u64 low = secrets_in(0x1000, 0x9F000, &nonzero); /* the loader's area: not zero, never the secret */
	nonzero = 0;
	u64 high = secrets_in(image_end(), ram_end(), &nonzero);
	ok(low + high == 0 && nonzero == 0,
	   "no secret in RAM and free RAM is zeroed (%lu + %lu secret words, %lu non-zero)", low, high, nonzero);
}

static void probe_pool(void)
{
	u64 pool = pool_bytes(), nonzero = 0;
	ok(pool && memslot_op(HC_MEMSLOT_CREATE, POOL_SLOT, pool, 0, 0) == HC_OK,
	   "hv: the whole pool is mapped");
	u64 found = secrets_in(POOL_SLOT, POOL_SLOT + pool, &nonzero);
	ok(found == 0 && nonzero == 0, "hv: the pool is zeroed (%lu secret words, %lu non-zero)", found, nonzero);
}

static void probe_beyond_ram(void)
{
	u64 bad = 0, probes = 0, pool = pool_bytes();
	for (u64 a = ALIGN_UP(ram_end(), PROBE_STEP); a < HC_DEVICE_HOLE_START; a += PROBE_STEP, probes++) {
		if (a >= POOL_SLOT && a < POOL_SLOT + pool)
			continue;
		u64 v = *(volatile u64 *)a;
		if (v != ~0ull && bad++ == 0)
			diag("0x%lx reads 0x%lx", a, v);
	}
	ok(bad == 0, "hv: %lu addresses beyond RAM read all-ones", probes);
}

static void escapes_refused(void)
{
	u64 pool = pool_bytes();
	struct hc_memslot_op grow = { .op = HC_MEMSLOT_RESIZE, .gpa = POOL_SLOT, .size = pool + PAGE_SIZE };
	unsigned long at;
	long r1 = memslot_op(HC_MEMSLOT_CREATE, 0x70000000, PAGE_SIZE, pool, 0);
	long r2 = memslot_ops(&grow, 1, &at);
	long r3 = memslot_op(HC_MEMSLOT_CREATE, 0x70000000, PAGE_SIZE, ~0xFFFull, 0);
	long r4 = memslot_op(HC_MEMSLOT_MOVE, 0, 0, 0x70000000, 0);
	long r5 = hcall(HC_READ_STATS, HC_DEVICE_HOLE_START - 8, sizeof(struct hc_stats), 0, 0, NULL);
	diag("returned %ld %ld %ld %ld %ld", r1, r2, r3, r4, r5);
	ok(r1 == HC_ERANGE && r2 == HC_ERANGE && r3 == HC_ERANGE && r4 == HC_EPROTECTED && r5 == HC_EFAULT,
	   "hv: slots past the pool, a moved boot slot and buffers outside RAM are refused");
}

void test_main(void)
{
	char role[8] = "";
	cmdline_arg("role", role, sizeof(role));
	bool planting = strncmp(role, "plant", 6) == 0;

	plan(planting ? 2 : TESTS);
	if (!hcall_available()) {
		fail_without_hypercalls(planting ? 2 : TESTS);
		return;
	}
	if (planting) {
		planter();
		return;
	}
	probe_ram();
	probe_pool();
	probe_beyond_ram();
	escapes_refused();
	ok(pool_bytes() != 0, "hv: this VM has a pool");
	struct hc_memslot_op del = { .op = HC_MEMSLOT_DELETE, .gpa = POOL_SLOT };
	unsigned long at;
	ok(memslot_ops(&del, 1, &at) == HC_OK && *(volatile u64 *)POOL_SLOT == ~0ull,
	   "hv: the deleted pool slot reads all-ones");
}
