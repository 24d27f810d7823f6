/* Dirty logging (docs/MMU.md §1): with HC_MEMSLOT_F_DIRTY_LOG on a
 * slot, HC_MEMSLOT_DIRTY_GET returns exactly the pages written since the
 * last call and clears them; the pages are write-protected again, so a
 * second write to the same page is logged again; writes the hypervisor makes
 * into the slot (hypercall output) are logged as well. A logged slot cannot
 * be moved, resized or split. */
#include "guest.h"

#define SLOT 0x40000000ull
#define PAGES 128
#define TESTS 8

static u64 bits[PAGES / 64 + 1]; /* one word more than needed: zeroed by the call */

static long dirty_get(void)
{
	struct hc_memslot_op get = { .op = HC_MEMSLOT_DIRTY_GET, .gpa = SLOT, .size = sizeof(bits),
				     .arg = (u64)bits };
	unsigned long bad;
	for (u32 i = 0; i < ARRAY_SIZE(bits); i++)
		bits[i] = 0xA5A5A5A5A5A5A5A5ull; /* the call must overwrite every word */
	return memslot_ops(&get, 1, &bad);
}

/* True when the bitmap holds exactly the pages listed. */
static bool exactly(const u32 *pages, u32 n)
{
	u64 want[ARRAY_SIZE(bits)] = { 0 };
	for (u32 i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ull << (pages[i] % 64);
	bool same = true;
	for (u32 i = 0; i < ARRAY_SIZE(bits); i++) {
		if (bits[i] != want[i])
			diag("word %u: 0x%lx, want 0x%lx", i, bits[i], want[i]);
		same &= bits[i] == want[i];
	}
	return same;
}

static void write_page(u32 page, u64 value)
{
	*(volatile u64 *)(SLOT + (u64)page * PAGE_SIZE + 8) = value;
}

void test_main(void)
{
	static const u32 written[] = { 0, 3, 64, 127 }, again[] = { 3 };

	plan(TESTS);
	if (!hcall_available()) {
		fail_without_hypercalls(TESTS);
		return;
	}
	ok(memslot_op(HC_MEMSLOT_CREATE, SLOT, PAGES * PAGE_SIZE, 0, 0) == HC_OK &&
	   memslot_op(HC_MEMSLOT_DIRTY_GET, SLOT, 0, 0, 0) == HC_EDIRTYLOG,
	   "hv: without dirty logging DIRTY_GET is refused (HC_EDIRTYLOG)");
	for (u32 p = 0; p < PAGES; p++) /* mapped and written before logging starts */
		write_page(p, p);
	ok(memslot_op(HC_MEMSLOT_SET_FLAGS, SLOT, 0, 0, HC_MEMSLOT_F_DIRTY_LOG) == HC_OK &&
	   dirty_get() == HC_OK && exactly(NULL, 0),
	   "hv: dirty logging on: no page is dirty yet");
	for (u32 i = 0; i < ARRAY_SIZE(written); i++)
		write_page(written[i], 0x100 + i);
	(void)*(volatile u64 *)(SLOT + 5 * PAGE_SIZE); /* a read dirties nothing */
	ok(dirty_get() == HC_OK && exactly(written, ARRAY_SIZE(written)),
	   "hv: exactly the pages written are dirty (0, 3, 64, 127)");
	ok(dirty_get() == HC_OK && exactly(NULL, 0), "hv: the bitmap was cleared by the previous call");
	write_page(3, 0x200);
	ok(dirty_get() == HC_OK && exactly(again, 1),
	   "hv: a page written again after the call is logged again (write-protected again)");
	ok(*(volatile u64 *)(SLOT + 3 * PAGE_SIZE + 8) == 0x200 && *(volatile u64 *)(SLOT + 64 * PAGE_SIZE + 8) == 0x102,
	   "hv: the writes reached memory");
	static const u32 by_hv[] = { 10 };
	struct hc_stats *out = (struct hc_stats *)(SLOT + 10 * PAGE_SIZE);
	ok(hcall(HC_READ_STATS, (unsigned long)out, sizeof(*out), 0, 0, NULL) == HC_OK &&
	   dirty_get() == HC_OK && exactly(by_hv, 1),
	   "hv: a write the hypervisor makes for the guest (HC_READ_STATS into page 10) is logged too");
	ok(memslot_op(HC_MEMSLOT_MOVE, SLOT, 0, 2 * SLOT, 0) == HC_EDIRTYLOG &&
	   memslot_op(HC_MEMSLOT_SPLIT, SLOT, 0, SLOT + PAGE_SIZE, 0) == HC_EDIRTYLOG,
	   "hv: a logged slot cannot be moved or split (HC_EDIRTYLOG)");
}
