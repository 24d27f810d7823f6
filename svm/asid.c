/*
 * Address space IDs: each live vCPU gets its own among the vCPUs of its CPU,
 * so guest translations of different vCPUs never mix in that CPU's TLB.
 * ASID 0 is the host's. The bitmap is per CPU (struct svm_cpu): a vCPU is
 * created, run and destroyed on its own thread, pinned to one CPU
 * (hv/vm/vendor.h), so every CPU offers all the ASIDs the hardware has (QEMU:
 * 15 each). Threads of one CPU may preempt each other: atomic operations.
 *
 * A freed ASID can still tag a dead vCPU's translations in this CPU's TLB;
 * its next owner flushes at its first VMRUN (flush_pending).
 */
#include "svm/svm.h"
#include "hv/cpu/percpu.h"

#define ASID_MAX 64 /* the bitmap's size */

static u64 *this_cpu_asids(void)
{
	return &((struct svm_cpu *)this_cpu()->vendor)->asid_used;
}

u32 svm_asid_alloc(void)
{
	u64 *used = this_cpu_asids();
	u32 limit = MIN(svm_caps.nasids, ASID_MAX);

	for (u32 asid = 1; asid < limit; asid++) {
		if (!(__atomic_fetch_or(used, 1ull << asid, __ATOMIC_ACQ_REL) & (1ull << asid)))
			return asid;
	}
	return 0;
}

void svm_asid_free(u32 asid)
{
	__atomic_fetch_and(this_cpu_asids(), ~(1ull << asid), __ATOMIC_RELEASE);
}
