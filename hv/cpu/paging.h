/* The hypervisor's own page tables: identity-mapped (virtual == physical),
 * all RAM and the low 4 GiB of MMIO, hypervisor text read-only+executable,
 * everything else non-executable, page 0 unmapped to catch NULL pointers. */
#ifndef HV_PAGING_H
#define HV_PAGING_H

#include "boot_info.h"

/* Builds the tables from the normalized memory map (tables come from the page
 * allocator) and switches CR3 to them. Panics when out of memory. */
void paging_init(const struct boot_info *bi);

/* The PML4's physical address: the value every CPU loads into CR3 (also the
 * host CR3 a VM exit returns to). */
u64 paging_root(void);

/* True when va is mapped (readable) in the hypervisor's tables. Used where a
 * fault must be avoided, e.g. walking a stack trace. False before paging_init. */
bool paging_is_mapped(u64 va);

#endif
