/*
 * The hypervisor's side of mm/platform.h: pages from palloc (identity
 * mapped, so an address is both virtual and physical), remote TLB flushes
 * through the callback the VM code registers, "should yield" and "yield"
 * from the scheduler (hv/sched/sched.h), messages from the kernel's formatter.
 */
#include <stdarg.h>
#include "mm/platform.h"
#include "mm/page_alloc.h"
#include "hv/console/printf.h"
#include "hv/sched/sched.h"
#include "kstring.h"

static void (*flush_remote_tlbs)(void *owner);
static u64 (*clock_ns)(void);

/* The VM code: how to flush one VM's TLBs on every CPU (request + kick + wait). */
void mm_platform_set_flush(void (*flush)(void *owner))
{
	flush_remote_tlbs = flush;
}

/* The timer code: a monotonic clock in ns (until then mmp_now_ns() is 0). */
void mm_platform_set_clock(u64 (*now_ns)(void))
{
	clock_ns = now_ns;
}

void *mmp_pages_alloc(u64 npages)
{
	u64 pa = palloc(npages, PAGE_SIZE);
	if (!pa)
		return NULL;
	memset((void *)pa, 0, npages * PAGE_SIZE);
	return (void *)pa;
}

void mmp_pages_free(void *va, u64 npages)
{
	if (va)
		palloc_free((u64)va, npages);
}

u64 mmp_virt_to_phys(const void *va)
{
	return (u64)va;
}

void *mmp_phys_to_virt(u64 pa)
{
	return (void *)pa;
}

/* No VM code registered yet means no vCPU has ever run: nothing to flush. */
void mmp_flush_remote_tlbs(void *owner)
{
	if (flush_remote_tlbs)
		flush_remote_tlbs(owner);
}

bool mmp_should_yield(void)
{
	return sched_should_yield();
}

void mmp_yield(void)
{
	sched_yield();
}

u64 mmp_now_ns(void)
{
	return clock_ns ? clock_ns() : 0;
}

int mmp_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = kvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
