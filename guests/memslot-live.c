/* Memslots changed under a running vCPU. vCPU 1 keeps reading and writing
 * every page of a region while vCPU 0 reshapes the slots behind it through
 * HC_MEMSLOT (docs/MMU.md §1: one transaction is published at once):
 *   - split, merge (delete both halves + create the whole, one list) and
 *     resize beyond the region keep the same pages at the same place: the
 *     reader must never see a hole (all-ones) nor a foreign value, and its
 *     writes must stick;
 *   - moves away and back: the reader sees the data or a hole (all-ones),
 *     never anything else, and the data survive (checksum at the new place);
 *     every write of the reader that read back survives the moves too (a
 *     write that fell into the hole is ignored MMIO, and a write that landed
 *     just before a move may have read back all-ones: each page ends holding
 *     a value between its last confirmed write and its last attempt);
 *   - after a delete has returned, the region reads all-ones on the reader
 *     too (MMIO, not the old memory); re-created on fresh pool pages it
 *     reads zeros;
 *   - a big slot mapped in 4K pages (dirty logging forces them) is deleted
 *     while the reader keeps faulting on it: the zap is long enough to give
 *     the MMU lock up for the faulting vCPU (lock breaks, in the statistics
 *     the hypervisor prints; tools/check-suite-facts.sh wants them). */
#include "guest.h"

#define REGION 0x40000000ull
#define ELSEWHERE 0x48000000ull
#define PAGES ((u64)64)
#define REGION_SIZE (PAGES * PAGE_SIZE)
#define RESHAPES 40
#define MOVES 20
/* Two page tables' worth, each only partly covered: a zap that covered a
 * whole table would drop it in one step, this one visits every page. */
#define BIG 0x50001000ull
#define BIG_PAGES ((u64)1022)
#define BIG_POOL_OFFSET (2 * REGION_SIZE) /* after the region and its re-creation */
#define BIG_TRIES 20
#define TESTS 10

enum phase { SAME_PAGES, MOVING, MOVED, DELETED, BIG_READ, BIG_GONE, STOP, PHASES };

static volatile u32 phase = SAME_PAGES;
static volatile u32 reader_passes[PHASES];
static volatile u64 holes[PHASES], foreign[PHASES], lost_writes[PHASES];
static volatile u64 first_foreign;
static volatile u32 reader_done; /* the reader saw STOP and touches nothing any more */
/* MOVING: per page, the last write that read back and the last one tried. */
static volatile u64 write_confirmed[PAGES], write_tried[PAGES];

static u64 pattern(u64 page)
{
	return 0x4C49564500000000ull | page; /* "LIVE" + page */
}

static volatile u64 *word(u64 base, u64 page, u32 i)
{
	return (volatile u64 *)(base + page * PAGE_SIZE) + i;
}

/* One pass of vCPU 1 over the region: word 0 is checked, word 1 written and read back. */
static void reader_pass(u32 ph, u64 seq)
{
	if (ph == BIG_GONE || ph == MOVED)
		return; /* MOVED: vCPU 0 checks the writes; BIG_GONE: touching it would only be slow MMIO */
	if (ph == BIG_READ) {
		/* Page 0 again after each page, past the TLB: once the delete's zap has
		 * cleared it, this vCPU faults and waits for the MMU lock the zap holds. */
		for (u64 p = 0; p < BIG_PAGES; p++) {
			(void)*word(BIG, p, 0);
			invlpg(BIG);
			(void)*word(BIG, 0, 0);
		}
		return;
	}
	for (u64 p = 0; p < PAGES; p++) {
		u64 v = *word(REGION, p, 0);
		if (v == ~0ull)
			holes[ph]++;
		else if (v != pattern(p) && foreign[ph]++ == 0)
			first_foreign = v;
		if (ph == DELETED)
			continue; /* no writes into whatever comes next */
		if (ph == MOVING)
			write_tried[p] = seq;
		*word(REGION, p, 1) = seq;
		u64 back = *word(REGION, p, 1);
		if (ph == MOVING && back == seq)
			write_confirmed[p] = seq;
		/* While moving, a write may fall into the hole and the read find the slot back. */
		if (back != seq && back != ~0ull && ph != MOVING)
			lost_writes[ph]++;
	}
}

static void reader(u32 index)
{
	for (u64 seq = 1;; seq++) {
		u32 ph = phase;
		if (ph == STOP)
			break;
		reader_pass(ph, seq);
		reader_passes[ph]++;
	}
	reader_done = 1;
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* vCPUs 2 and up: during BIG_READ only, fault on the big slot's first page
 * as often as they can, so that some vCPU is likely to wait for the MMU
 * lock while the delete's zap holds it, whatever the host schedules. */
static void hammer(void)
{
	for (u32 ph; (ph = phase) != STOP;) {
		if (ph == BIG_READ) {
			invlpg(BIG);
			(void)*word(BIG, 0, 0);
		} else {
			__asm__ volatile("pause");
		}
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void ap_main(u32 index)
{
	if (index == 1)
		reader(index);
	hammer();
}

static long op(u32 o, u64 gpa, u64 size, u64 arg)
{
	long rc = memslot_op(o, gpa, size, arg, 0);
	if (rc)
		diag("HC_MEMSLOT op %u at 0x%lx returned %ld", o, gpa, rc);
	return rc;
}

/* Waits until the reader has finished `n` more passes in phase ph. */
static void let_reader_pass(u32 ph, u32 n)
{
	u32 start = reader_passes[ph];
	while (reader_passes[ph] - start < n)
		__asm__ volatile("pause");
}

static bool reshape_same_pages(void)
{
	const u64 half = REGION + REGION_SIZE / 2;
	long rc = 0;
	for (u32 i = 0; i < RESHAPES && !rc; i++) {
		struct hc_memslot_op merge[2] = {
			{ .op = HC_MEMSLOT_DELETE, .gpa = half },
			{ .op = HC_MEMSLOT_RESIZE, .gpa = REGION, .size = REGION_SIZE },
		};
		unsigned long bad;
		rc = op(HC_MEMSLOT_SPLIT, REGION, 0, half);
		let_reader_pass(SAME_PAGES, 1);
		rc = rc ? rc : memslot_ops(merge, 2, &bad);
		rc = rc ? rc : op(HC_MEMSLOT_RESIZE, REGION, 2 * REGION_SIZE, 0);
		rc = rc ? rc : op(HC_MEMSLOT_RESIZE, REGION, REGION_SIZE, 0);
		let_reader_pass(SAME_PAGES, 1);
	}
	return rc == 0;
}

static bool data_at(u64 base)
{
	for (u64 p = 0; p < PAGES; p++) {
		if (*word(base, p, 0) != pattern(p)) {
			diag("page %lu at 0x%lx holds 0x%lx", p, base, *word(base, p, 0));
			return false;
		}
	}
	return true;
}

static bool move_around(void)
{
	bool same = true;
	for (u32 i = 0; i < MOVES && same; i++) {
		same = op(HC_MEMSLOT_MOVE, REGION, 0, ELSEWHERE) == HC_OK && data_at(ELSEWHERE);
		let_reader_pass(MOVING, 1);
		same = same && op(HC_MEMSLOT_MOVE, ELSEWHERE, 0, REGION) == HC_OK;
		let_reader_pass(MOVING, 1);
	}
	return same && data_at(REGION);
}

/* After the moves, with the reader idle: every page keeps the reader's writes. */
static bool writes_survived(u64 *pages_written)
{
	*pages_written = 0;
	for (u64 p = 0; p < PAGES; p++) {
		u64 v = *word(REGION, p, 1);
		if (v < write_confirmed[p] || v > write_tried[p]) {
			diag("page %lu holds 0x%lx: last confirmed write 0x%lx, last tried 0x%lx", p, v,
			     write_confirmed[p], write_tried[p]);
			return false;
		}
		*pages_written += write_confirmed[p] != 0;
	}
	return true;
}

/* Creates the big slot, lets the reader map all of it, deletes it under the
 * reader; *breaks: MMU lock breaks counted meanwhile. */
static bool big_slot_under_reader(u64 *breaks)
{
	struct hc_stats before, after;
	bool done = memslot_op(HC_MEMSLOT_CREATE, BIG, BIG_PAGES * PAGE_SIZE, BIG_POOL_OFFSET,
			       HC_MEMSLOT_F_DIRTY_LOG) == HC_OK;
	phase = BIG_READ;
	let_reader_pass(BIG_READ, 2);
	done = done && read_stats(&before) && op(HC_MEMSLOT_DELETE, BIG, 0, 0) == HC_OK &&
	       read_stats(&after);
	phase = BIG_GONE;
	*breaks = done ? after.lock_breaks - before.lock_breaks : 0;
	return done;
}

void test_main(void)
{
	plan(TESTS);
	if (!hcall_available()) {
		fail_without_hypercalls(TESTS);
		return;
	}
	u32 cpus = smp_cpu_count();
	if (!ok(cpus >= 2 && op(HC_MEMSLOT_CREATE, REGION, REGION_SIZE, 0) == HC_OK,
		"hv: %u vCPUs (2 or more) and a slot of %lu pages", cpus, PAGES))
		bail_out("needs 2 vCPUs and HC_MEMSLOT");
	for (u64 p = 0; p < PAGES; p++)
		*word(REGION, p, 0) = pattern(p);
	if (!smp_start_aps(cpus, ap_main))
		bail_out("vCPU 1 did not start");

	bool reshaped = reshape_same_pages();
	phase = MOVING;
	ok(reshaped && holes[SAME_PAGES] == 0 && foreign[SAME_PAGES] == 0 && lost_writes[SAME_PAGES] == 0,
	   "hv: split/merge/resize x%u under a reader: no hole (%lu), no foreign value (%lu), no lost write (%lu)",
	   RESHAPES, holes[SAME_PAGES], foreign[SAME_PAGES], lost_writes[SAME_PAGES]);
	ok(reader_passes[SAME_PAGES] >= RESHAPES, "hv: the reader ran all along (%u passes)",
	   reader_passes[SAME_PAGES]);

	let_reader_pass(MOVING, 1);
	ok(move_around(), "hv: the data survive %u moves away and back (checked at both places)", MOVES);
	ok(foreign[MOVING] == 0,
	   "hv: while moving, the reader saw the data or a hole, nothing else (%lu holes, first foreign 0x%lx)",
	   holes[MOVING], first_foreign);
	phase = MOVED;
	let_reader_pass(MOVED, 2); /* its last MOVING pass is over */
	u64 written;
	bool survived = writes_survived(&written);
	ok(survived && written == PAGES,
	   "hv: the reader's writes made while moving survive the moves (%lu of %lu pages written)", written, PAGES);

	ok(op(HC_MEMSLOT_DELETE, REGION, 0, 0) == HC_OK, "hv: the slot is deleted");
	phase = DELETED; /* set after the delete returned: every pass from now on must see MMIO */
	let_reader_pass(DELETED, 2);
	/* Whether the reader waits at the right moment is up to timing (on an
	 * emulator, up to the host's scheduling): a few tries, until one breaks. */
	u64 breaks = 0;
	bool big = true;
	u32 tries = 0;
	while (tries < BIG_TRIES && big && !breaks) {
		big = big_slot_under_reader(&breaks);
		tries++;
	}
	phase = STOP;
	while (!reader_done)
		__asm__ volatile("pause");
	ok(foreign[DELETED] == 0 && holes[DELETED] == PAGES * reader_passes[DELETED],
	   "hv: after the delete returned the reader sees all-ones, not the old memory (%u passes, %lu holes, %lu other)",
	   reader_passes[DELETED], holes[DELETED], foreign[DELETED]);

	bool zeros = op(HC_MEMSLOT_CREATE, REGION, REGION_SIZE, REGION_SIZE) == HC_OK;
	for (u64 p = 0; p < PAGES && zeros; p++)
		zeros = *word(REGION, p, 0) == 0 && *word(REGION, p, 1) == 0;
	ok(zeros, "hv: re-created on fresh pool pages, the region reads zeros, none of the old data");
	ok(big, "hv: a %lu-page slot in 4K mappings deleted under a faulting reader (%lu MMU lock breaks, try %u)",
	   BIG_PAGES, breaks, tries);
}
