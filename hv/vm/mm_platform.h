/* Hooks the rest of hv/ gives the MMU core's platform layer (hv/vm/mm_platform.c). */
#ifndef HV_MM_PLATFORM_H
#define HV_MM_PLATFORM_H

#include "types.h"

/* Flush one VM's second-level TLB entries on every CPU; owner = mmu_config.owner. */
void mm_platform_set_flush(void (*flush)(void *owner));
/* A monotonic nanosecond clock for mmp_now_ns(). */
void mm_platform_set_clock(u64 (*now_ns)(void));

#endif
