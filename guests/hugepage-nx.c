/* NX huge pages (docs/MMU.md §6). A data access to a 2 MiB-aligned
 * slot maps it with one huge entry; with the mitigation on, executing from
 * it splits that entry into 4 KiB ones, the recovery thread (nx_ratio=1,
 * short period) zaps the split table and a data access maps it huge again;
 * with nx_huge_pages=off nothing is split. Which mapping covers the region
 * is asked of the hypervisor (HC_TDP_LEVEL): counters alone would also count
 * the guest's own code and data, which the recovery thread splits and
 * remaps meanwhile. The suite runs this guest twice:
 * args="nx=on" and args="nx=off", with matching nx_huge_pages= keys. */
#include "guest.h"

#define REGION 0x40000000ull /* 2 MiB aligned, as is the pool's backing */
#define REGION_SIZE 0x200000ull
#define TESTS 7
#define RECOVERY_WAIT_CALLS 200000 /* statistics polls before giving up */

typedef int (*code_fn)(void);

#define KIB_2M 2048

/* A data access at REGION + offset; the size of the mapping it leaves there. */
static u64 access_maps_kib(u64 offset)
{
	(void)*(volatile u64 *)(REGION + offset);
	return tdp_mapping_kib(REGION + offset);
}

/* Puts "mov eax, 42; ret" in the region and calls it. */
static int run_code(u64 offset)
{
	static const u8 code[] = { 0xB8, 42, 0, 0, 0, 0xC3 };
	volatile u8 *p = (volatile u8 *)(REGION + offset);
	for (u32 i = 0; i < sizeof(code); i++)
		p[i] = code[i];
	return ((code_fn)(REGION + offset))();
}

static bool wait_for_recovery(const struct hc_stats *split, struct hc_stats *now)
{
	for (u32 i = 0; i < RECOVERY_WAIT_CALLS; i++) {
		read_stats(now);
		if (now->nx_recovered > split->nx_recovered)
			return true;
	}
	diag("no recovery after %u statistics reads", RECOVERY_WAIT_CALLS);
	return false;
}

void test_main(void)
{
	struct hc_stats s, mapped, split, now;
	char mode[8] = "";
	bool nx_on = cmdline_arg("nx", mode, sizeof(mode)) && strncmp(mode, "on", 3) == 0;

	plan(TESTS);
	if (!hcall_available()) {
		fail_without_hypercalls(TESTS);
		return;
	}
	read_stats(&s);
	ok(s.nx_huge_pages == nx_on, "hv: statistics report nx_huge_pages=%s", nx_on ? "on" : "off");
	ok(memslot_op(HC_MEMSLOT_CREATE, REGION, REGION_SIZE, 0, 0) == HC_OK,
	   "hv: a 2 MiB-aligned slot of 2 MiB is created");
	u64 kib = access_maps_kib(0x1000);
	read_stats(&mapped);
	ok(kib == KIB_2M, "hv: a data access maps it with one 2 MiB entry (%lu KiB)", kib);

	int r = run_code(0x3000);
	kib = tdp_mapping_kib(REGION + 0x3000);
	read_stats(&split);
	diag("nx splits %lu -> %lu, split tables now %lu", mapped.nx_splits, split.nx_splits, split.nx_current);
	if (nx_on)
		ok(r == 42 && kib == 4 && split.nx_splits >= mapped.nx_splits + 1,
		   "hv: executing from it splits the huge entry (now %lu KiB; nx_splits grows)", kib);
	else
		ok(r == 42 && kib == KIB_2M && split.nx_splits == 0 && split.nx_current == 0,
		   "hv: with nx_huge_pages=off executing from it splits nothing (%lu KiB)", kib);

	if (!nx_on) {
		kib = access_maps_kib(0x1000);
		read_stats(&now);
		ok(kib == KIB_2M && now.mapped_4k == split.mapped_4k,
		   "hv: the huge entry stays in place (%lu KiB, no new mapping at all)", kib);
		skip("nx_huge_pages=off", "recovery");
		skip("nx_huge_pages=off", "huge again after recovery");
		return;
	}
	ok(run_code(0x5000) == 42, "hv: the split region still runs code and reads data");
	if (split.nx_period_ms == 0) {
		skip("this hypervisor runs no NX recovery thread yet", "hv: the recovery thread zaps the split table");
		skip("this hypervisor runs no NX recovery thread yet", "hv: a data access maps it huge again");
		return;
	}
	/* counted from here: a pass before the last fetch above may have been undone by it */
	read_stats(&split);
	ok(wait_for_recovery(&split, &now), "hv: the recovery thread zaps the split table");
	kib = access_maps_kib(0x2000);
	ok(kib == KIB_2M, "hv: a data access maps it huge again (%lu KiB)", kib);
}
