/* The EPT entry format (for mm/) and the EPT pointer (for the VMCS). */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include "types.h"
#include "mm/spte.h"

extern struct spte_format ept_format;

/* Adapt the format to the CPU: A/D flags and the largest leaf it supports. Before any VM exists. */
void ept_format_setup(bool ad, bool huge_2m, bool huge_1g);

/* The EPTP for a 4-level, write-back table rooted at root_pa (A/D flags when `ad`). */
u64 ept_pointer(u64 root_pa, bool ad);

#endif
