/*
 * 64-bit page-table helpers. The entry stub identity-maps the low 4 GiB with
 * 2 MiB pages; these walk and change the tables CR3 points to (page-table
 * memory is identity-mapped, so physical == virtual).
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include "types.h"
#include "x86.h"


/* The leaf entry mapping va (its page size in *page_size), or NULL. */
u64 *paging_lookup(u64 va, u64 *page_size);
/* Maps the 4 KiB page at va to pa with flags (PTE_P is added), creating
 * tables and splitting a 2 MiB page as needed; false when out of tables.
 * Tables are user-accessible: the leaf flags decide. */
bool paging_map_4k(u64 va, u64 pa, u64 flags);

#endif
