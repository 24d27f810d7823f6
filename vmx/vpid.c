/*
 * Virtual-processor IDs: each live vCPU gets its own, machine-wide, so guest
 * linear translations of different vCPUs never mix in a TLB. VPID 0 is the
 * host's; a vCPU given 0 (all taken, or no VPID support) runs without one and
 * the CPU flushes at every entry. A freed VPID can still tag a dead vCPU's
 * translations; its next owner flushes before its first entry (flush_pending).
 */
#include "vmx/vmx.h"

#define VPID_MAX 1023
static u64 vpid_used[(VPID_MAX + 64) / 64];

u16 vmx_vpid_alloc(void)
{
	for (u16 v = 1; v <= VPID_MAX; v++)
		if (!(__atomic_fetch_or(&vpid_used[v / 64], 1ull << (v % 64), __ATOMIC_ACQ_REL) & (1ull << (v % 64))))
			return v;
	return 0;
}

void vmx_vpid_free(u16 vpid)
{
	if (vpid)
		__atomic_fetch_and(&vpid_used[vpid / 64], ~(1ull << (vpid % 64)), __ATOMIC_RELEASE);
}
