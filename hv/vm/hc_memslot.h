/*
 * HC_MEMSLOT (include/hypercall.h): a guest's list of memslot operations,
 * checked argument by argument, turned into one mm/ transaction, and its
 * result turned back into a hypercall error. Portable: the hypervisor and
 * the host unit tests run the same code against the same mm/ core.
 */
#ifndef HV_HC_MEMSLOT_H
#define HV_HC_MEMSLOT_H

#include "types.h"
#include "hypercall.h"

struct vm_mmu;

/* What the hypercall may touch in one VM. */
struct hc_memslot_vm {
	struct vm_mmu *mmu;
	u64 pool_pfn, pool_pages; /* host frames new slots come from */
	u64 ram_pfn, ram_pages;   /* host frames of the boot slots (never named, never changed) */
	/* copies to and from guest RAM: false (nothing copied) unless all of it is RAM */
	bool (*read)(void *ctx, u64 gpa, void *buf, u64 len);
	bool (*write)(void *ctx, u64 gpa, const void *buf, u64 len);
	void *ctx;
};

/*
 * The whole call: ops_gpa/count as the guest passed them (RBX, RCX).
 * Returns HC_OK or a negative HC_E* code; *bad = the index of the failing
 * operation, count when the result as a whole is refused, 0 on success.
 */
s64 hc_memslot(const struct hc_memslot_vm *vm, u64 ops_gpa, u64 count, u64 *bad);

#endif
