/* Read-only memslots (HC_MEMSLOT, include/hypercall.h): a write to a
 * read-only slot exits as MMIO, is ignored and counted, and the pool pages
 * behind it keep their contents (seen through a second, writable slot);
 * made writable again the slot takes writes; boot slots cannot be touched. */
#include "guest.h"

#define SLOT 0x40000000ull  /* 1 GiB: above RAM, inside the identity map */
#define ALIAS 0x50000000ull /* a second slot over the same pool pages */
#define SLOT_SIZE 0x10000ull
#define TESTS 8

static u64 pattern(u64 i)
{
	return 0x524F4D0000000000ull | i; /* "ROM" + index */
}

static bool pattern_holds(u64 base)
{
	for (u64 i = 0; i < SLOT_SIZE / 8; i++) {
		u64 got = ((volatile u64 *)base)[i];
		if (got != pattern(i)) {
			diag("at 0x%lx: 0x%lx, want 0x%lx", base + 8 * i, got, pattern(i));
			return false;
		}
	}
	return true;
}

static bool rc_is(long rc, long want)
{
	if (rc != want)
		diag("HC_MEMSLOT returned %ld, want %ld", rc, want);
	return rc == want;
}

/* Writes over the read-only slot (several widths and places); true when
 * each was counted as an ignored ROM write. */
static bool write_rom(void)
{
	struct hc_stats before, after;
	if (!read_stats(&before))
		return false;
	((volatile u64 *)SLOT)[0] = 0xDEADBEEFDEADBEEFull;
	((volatile u32 *)SLOT)[5] = 0xDEADBEEF;
	((volatile u8 *)SLOT)[SLOT_SIZE - 1] = 0xAA;
	if (!read_stats(&after))
		return false;
	return ok_eq(after.rom_writes - before.rom_writes, 3, "hv: 3 writes to the read-only slot are counted as ignored ROM writes");
}

void test_main(void)
{
	plan(TESTS);
	if (!hcall_available()) {
		fail_without_hypercalls(TESTS);
		return;
	}
	ok(rc_is(memslot_op(HC_MEMSLOT_CREATE, SLOT, SLOT_SIZE, 0, 0), HC_OK),
	   "hv: a writable slot is created from the pool");
	for (u64 i = 0; i < SLOT_SIZE / 8; i++)
		((volatile u64 *)SLOT)[i] = pattern(i);
	ok(rc_is(memslot_op(HC_MEMSLOT_SET_FLAGS, SLOT, 0, 0, HC_MEMSLOT_F_READONLY), HC_OK),
	   "hv: the slot is made read-only");
	ok(pattern_holds(SLOT), "hv: the read-only slot reads what was written before");
	write_rom();
	ok(pattern_holds(SLOT), "hv: after the writes the read-only slot still holds its contents");
	ok(rc_is(memslot_op(HC_MEMSLOT_CREATE, ALIAS, SLOT_SIZE, 0, 0), HC_OK) && pattern_holds(ALIAS),
	   "hv: a writable slot over the same pool pages shows them unchanged");
	ok(rc_is(memslot_op(HC_MEMSLOT_SET_FLAGS, SLOT, 0, 0, 0), HC_OK) &&
	   (((volatile u64 *)SLOT)[1] = 0x1234, ((volatile u64 *)ALIAS)[1] == 0x1234),
	   "hv: made writable again, the slot takes writes");
	ok(rc_is(memslot_op(HC_MEMSLOT_SET_FLAGS, 0, 0, 0, HC_MEMSLOT_F_READONLY), HC_EPROTECTED) &&
	   rc_is(memslot_op(HC_MEMSLOT_SET_FLAGS, 0x100000, 0, 0, HC_MEMSLOT_F_READONLY), HC_EPROTECTED),
	   "hv: the boot slot cannot be made read-only (HC_EPROTECTED)");
}
