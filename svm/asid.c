/*
 * Address space IDs: each live vCPU gets its own, so guest translations of
 * different vCPUs never mix in the TLB. ASID 0 is the host's.
 *
 * One bitmap for all CPUs, taken and given back with atomic operations, so
 * vCPU threads on several CPUs may create and destroy vCPUs at once. A
 * freed ASID can still tag a dead vCPU's translations in the TLB of the CPU
 * it ran on; its next owner flushes at its first VMRUN (flush_pending), and
 * since a vCPU never leaves its CPU (hv/vendor.h) that flush is on the CPU
 * where it runs.
 */
#include "svm/svm.h"

#define ASID_MAX 64 /* more than the vCPUs this hypervisor runs at once */
static u64 asid_used = 1; /* bit n: ASID n taken; bit 0 is the host */

u32 svm_asid_alloc(void)
{
	u32 limit = MIN(svm_caps.nasids, ASID_MAX);

	for (u32 asid = 1; asid < limit; asid++) {
		if (!(__atomic_fetch_or(&asid_used, 1ull << asid, __ATOMIC_ACQ_REL) & (1ull << asid)))
			return asid;
	}
	return 0;
}

void svm_asid_free(u32 asid)
{
	__atomic_fetch_and(&asid_used, ~(1ull << asid), __ATOMIC_RELEASE);
}
