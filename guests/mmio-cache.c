/* MMIO markers (docs/MMU.md §5): repeated reads of an address with
 * no RAM are served from a cached marker entry (statistics), and once a
 * memslot puts RAM there the guest sees that RAM, not the stale marker;
 * after the slot is deleted the address is MMIO again. */
#include "guest.h"

#define ADDR ((u64)0x60000000) /* above RAM, below the device hole */
#define READS 16
#define TESTS 7

static u64 read_addr(void)
{
	return *(volatile u64 *)ADDR;
}

/* Reads ADDR n times; true when every read gave `want`. */
static bool reads_give(int n, u64 want)
{
	for (int i = 0; i < n; i++) {
		u64 got = read_addr();
		if (got != want) {
			diag("read %d of 0x%lx: 0x%lx, want 0x%lx", i, ADDR, got, want);
			return false;
		}
	}
	return true;
}

void test_main(void)
{
	struct hc_stats s0, s1, s2, s3;

	plan(TESTS);
	if (!hcall_available()) {
		fail_without_hypercalls(TESTS);
		return;
	}
	read_stats(&s0);
	ok(reads_give(READS, ~0ull), "hv: reads where no RAM is give all-ones");
	read_stats(&s1);
	diag("markers installed %lu, hits %lu, unbacked accesses %lu",
	     s1.mmio_markers_installed - s0.mmio_markers_installed,
	     s1.mmio_marker_hits - s0.mmio_marker_hits, s1.mmio_unbacked - s0.mmio_unbacked);
	ok(s1.mmio_markers_installed > s0.mmio_markers_installed &&
	   s1.mmio_marker_hits - s0.mmio_marker_hits >= READS - 2,
	   "hv: a marker is installed and the repeated reads hit it");

	ok(memslot_op(HC_MEMSLOT_CREATE, ADDR, 0x1000, 0, 0) == HC_OK, "hv: a slot creates RAM there");
	bool zero = reads_give(1, 0); /* the pool starts zeroed */
	*(volatile u64 *)ADDR = 0x4D41524B45520001ull;
	read_stats(&s2);
	ok(zero && reads_give(READS, 0x4D41524B45520001ull),
	   "hv: the guest sees RAM (zeroed, then what it wrote), not the stale marker");
	ok(s2.mmio_unbacked == s1.mmio_unbacked && s2.mmio_marker_misses > s1.mmio_marker_misses,
	   "hv: the stale marker was dropped (a miss), no access reached MMIO");

	ok(memslot_op(HC_MEMSLOT_DELETE, ADDR, 0, 0, 0) == HC_OK && reads_give(READS, ~0ull),
	   "hv: after the slot is deleted, reads there are MMIO again, not the old RAM");
	read_stats(&s3);
	ok(s3.mmio_unbacked - s2.mmio_unbacked == READS,
	   "hv: each read after the delete was an MMIO access (%lu)", s3.mmio_unbacked - s2.mmio_unbacked);
}
