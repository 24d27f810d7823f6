/*
 * The only way mm/ reaches outside itself. Two implementations exist:
 * hv/vm/mm_platform.c (the hypervisor: palloc, identity mapping, vCPU kicks,
 * ksnprintf) and tests/mm/platform_host.c (pthreads, malloc, an
 * instrumented flush, vsnprintf).
 *
 * "Physical" addresses are what the second-level tables hold. In the
 * hypervisor they are real (identity-mapped); in host tests they are the
 * host virtual addresses of the pages.
 */
#ifndef MM_PLATFORM_H
#define MM_PLATFORM_H

#include "types.h"

/* npages contiguous zeroed pages, page aligned; NULL when memory is short. */
void *mmp_pages_alloc(u64 npages);
/* Give back exactly what one mmp_pages_alloc() returned. */
void mmp_pages_free(void *va, u64 npages);

u64 mmp_virt_to_phys(const void *va);
void *mmp_phys_to_virt(u64 pa);

/*
 * Flush the second-level TLB entries of one VM on every CPU: set a flush
 * request on each of its vCPUs and kick those in guest mode; return only
 * when each has acknowledged or is outside guest mode (and will handle the
 * request before it next enters). `owner` is mmu_config.owner of the VM.
 * mm/ calls it with mmu_lock held: a vCPU waiting for that lock, or
 * running the fault path, is outside guest mode, so this cannot deadlock.
 */
void mmp_flush_remote_tlbs(void *owner);

/* True when the current CPU has other work waiting (long loops break then). */
bool mmp_should_yield(void);
/* Let other work run (a reschedule, or just a pause in a spin loop). */
void mmp_yield(void);

/* A monotonic clock in nanoseconds (statistics and benchmarks only). */
u64 mmp_now_ns(void);

/* Formats an error message like snprintf: NUL-terminated when n > 0, returns
 * the length the whole text needs. Only the conversions of hv/console/printf.h (the
 * kernel's formatter; libc's vsnprintf in host tests). */
int mmp_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
