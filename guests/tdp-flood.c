/*
 * Must be stopped: the guest aliases its 2 MiB pool in 200 slots, one per
 * 2 MiB from 1 GiB up, and executes once in each. With NX huge pages every
 * execution splits a huge mapping into a table of its own, so the MMU
 * would build second-level tables without bound, pinning memory every VM
 * faults from. The hypervisor stops the VM once its tables exceed
 * tdp_table_cap (tools/check-attacks.sh boots with tdp_table_cap=64 and
 * checks the reason); without a cap the guest ends with exit 1.
 */
#include "guest.h"

#define BASE 0x40000000ul
#define SLOT (2ul << 20)
#define SLOTS 200u
#define BATCH 50u

typedef int (*code_fn)(void);

void test_main(void)
{
	static struct hc_memslot_op ops[BATCH];

	plan(2);
	if (!hcall_available()) {
		fail_without_hypercalls(2);
		return;
	}
	long rc = HC_OK;
	for (u32 b = 0; b < SLOTS && rc == HC_OK; b += BATCH) {
		for (u32 i = 0; i < BATCH; i++)
			ops[i] = (struct hc_memslot_op){ .op = HC_MEMSLOT_CREATE, .gpa = BASE + (b + i) * SLOT,
							 .size = SLOT, .arg = 0 };
		rc = memslot_ops(ops, BATCH, NULL);
	}
	ok(rc == HC_OK, "hv: %u slots alias the pool (rc %ld)", SLOTS, rc);
	*(volatile u8 *)BASE = 0xc3; /* ret, seen through every alias */
	for (u32 i = 0; i < SLOTS; i++)
		((code_fn)(BASE + i * SLOT))();
	ok(false, "hv: executing in %u aliases was not stopped by tdp_table_cap", SLOTS);
}
