/*
 * Simulated vCPUs for host tests. A thread "in guest mode" translates gfns
 * like the hardware: through its TLB, else by walking the tables from its
 * root without any lock. A remote flush sets a request on every vCPU and
 * waits for those in guest mode to acknowledge, which they do between two
 * accesses, after emptying their TLB (MMU.md §7).
 *
 * Checks made on every access:
 * - a table entry read during a walk is never the poison of a freed page;
 * - NPT: every present entry on the path has U/S set;
 * - Z1: a TLB hit whose leaf entry changed to something that no longer
 *   translates the same way is only allowed while mmu_lock is held for
 *   write (the zapper has not flushed yet). Once the lock is released, every
 *   zapped entry must be gone from every TLB.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/mm/host.h"

void sim_violation(struct sim_vm *s, const char *fmt, ...)
{
	if (__atomic_fetch_add(&s->violations, 1, __ATOMIC_SEQ_CST) == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->first_violation, sizeof(s->first_violation), fmt, ap);
		va_end(ap);
		fprintf(stderr, "VIOLATION: %s\n", s->first_violation);
	}
}

static void sim_flush(void *owner)
{
	struct sim_vm *s = owner;
	u32 n = __atomic_load_n(&s->nvcpus, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < n; i++)
		__atomic_store_n(&s->vcpus[i]->flush_req, 1, __ATOMIC_SEQ_CST);
	for (u32 i = 0; i < n; i++)
		while (__atomic_load_n(&s->vcpus[i]->in_guest, __ATOMIC_SEQ_CST) &&
		       __atomic_load_n(&s->vcpus[i]->flush_req, __ATOMIC_SEQ_CST))
			sched_yield();
}

void sim_vm_init(struct sim_vm *s, const struct spte_format *fmt, struct nx_params nx)
{
	memset(s, 0, sizeof(*s));
	struct mmu_config cfg = { .format = fmt, .owner = s, .nx = nx, .max_vcpus = MMU_MAX_VCPUS };
	host_flush_hook = sim_flush;
	if (mmu_create(&cfg, &s->vm)) {
		fprintf(stderr, "mmu_create failed\n");
		abort();
	}
}

struct sim_vcpu *sim_vcpu_add(struct sim_vm *s)
{
	struct sim_vcpu *v = calloc(1, sizeof(*v));
	v->vm = s->vm;
	if (mmu_vcpu_create(s->vm, &v->mmu)) {
		fprintf(stderr, "mmu_vcpu_create failed\n");
		abort();
	}
	s->vcpus[s->nvcpus] = v;
	__atomic_store_n(&s->nvcpus, s->nvcpus + 1, __ATOMIC_RELEASE);
	return v;
}

void sim_vm_destroy(struct sim_vm *s)
{
	for (u32 i = 0; i < s->nvcpus; i++) {
		mmu_vcpu_destroy(s->vcpus[i]->mmu);
		free(s->vcpus[i]);
	}
	s->nvcpus = 0;
	mmu_destroy(s->vm);
	s->vm = NULL;
}

static void tlb_flush(struct sim_vcpu *v)
{
	v->tlb_valid = 0;
	v->pde_valid = 0;
}

void sim_exit_guest(struct sim_vcpu *v)
{
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
}

/* Between two accesses: a request is a kick; empty the TLB, acknowledge, leave guest mode. */
static bool handle_requests(struct sim_vcpu *v)
{
	if (!__atomic_load_n(&v->flush_req, __ATOMIC_SEQ_CST))
		return false;
	tlb_flush(v);
	__atomic_store_n(&v->flush_req, 0, __ATOMIC_SEQ_CST);
	sim_exit_guest(v);
	return true;
}

/* Reload the root if needed, then enter guest mode with requests handled. */
static bool enter_guest(struct sim_vm *s, struct sim_vcpu *v)
{
	for (;;) {
		if (tdp_reload_needed(v->mmu) && tdp_load_root(v->mmu, &v->root_pa))
			return false;
		__atomic_store_n(&v->in_guest, 1, __ATOMIC_SEQ_CST);
		if (!handle_requests(v) && !tdp_reload_needed(v->mmu))
			return true;
		sim_exit_guest(v);
	}
}

int sim_walk(struct sim_vm *s, u64 root_pa, u64 gfn, u64 *pfn, unsigned *perm, u64 **leafp, int *level)
{
	const struct spte_format *f = s->vm->fmt;
	u64 *table = mmp_phys_to_virt(root_pa);
	for (int l = SPTE_ROOT_LEVEL; l >= SPTE_LEVEL_4K; l--) {
		u64 *p = &table[spte_index(gfn, l)];
		u64 e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (e == POISON) {
			sim_violation(s, "walk of gfn %#llx read a freed table page at level %d",
				      (unsigned long long)gfn, l);
			return 0;
		}
		if (!spte_present(f, e))
			return e && f->is_mmio(e) ? -1 : 0;
		if (f == &test_npt && !test_npt_user_ok(e))
			sim_violation(s, "NPT entry without U/S at level %d", l);
		if (spte_leaf(f, e, l)) {
			*pfn = spte_pfn(f, e) + (gfn & (spte_level_pages(l) - 1));
			*perm = f->leaf_perm(e);
			*leafp = p;
			*level = l;
			return 1;
		}
		table = mmp_phys_to_virt(spte_addr(f, e));
	}
	return 0;
}

/* Z1: a cached translation must match the tables unless a zapper holds the lock (flush pending). */
static void check_cached(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, unsigned access, u64 pfn)
{
	u64 p2;
	unsigned perm2;
	u64 *leaf2;
	int level2;
	bool same = sim_walk(s, v->root_pa, gfn, &p2, &perm2, &leaf2, &level2) == 1 && p2 == pfn &&
		    (perm2 & access) == access;
	if (!same && !rwlock_write_held(&s->vm->mmu_lock))
		sim_violation(s, "Z1: a TLB or paging-structure cache still translates gfn %#llx after "
				 "its entry was zapped and mmu_lock released", (unsigned long long)gfn);
}

static bool tlb_lookup(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, unsigned access, u64 *pfn)
{
	u32 i = gfn % SIM_TLB_SIZE;
	struct sim_tlb_entry *e = &v->tlb[i];
	if (!(v->tlb_valid & (1ull << i)) || e->gfn != gfn || (e->perm & access) != access)
		return false;
	u64 now = __atomic_load_n(e->sptep, __ATOMIC_ACQUIRE);
	if (now == POISON)
		sim_violation(s, "the table page behind a TLB entry was freed before a flush");
	else
		check_cached(s, v, gfn, access, e->pfn);
	*pfn = e->pfn;
	return true;
}

static void tlb_fill(struct sim_vcpu *v, u64 gfn, u64 pfn, unsigned perm, u64 *leafp, int level)
{
	u32 i = gfn % SIM_TLB_SIZE;
	v->tlb[i] = (struct sim_tlb_entry){ .gfn = gfn, .pfn = pfn, .perm = perm, .sptep = leafp,
					    .spte = __atomic_load_n(leafp, __ATOMIC_ACQUIRE), .level = level };
	v->tlb_valid |= 1ull << i;
}

/* A leaf through the cached 4K table of gfn's 2M region (no walk from the root). */
static bool pde_lookup(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, unsigned access, u64 *pfn,
		       unsigned *perm, u64 **leafp)
{
	const struct spte_format *f = s->vm->fmt;
	u32 i = (gfn >> 9) % SIM_TLB_SIZE;
	if (!(v->pde_valid & (1ull << i)) || v->pde[i].region != gfn >> 9)
		return false;
	u64 *p = &v->pde[i].table[spte_index(gfn, SPTE_LEVEL_4K)];
	u64 e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	if (e == POISON) {
		sim_violation(s, "a cached table page was freed before a flush (gfn %#llx)",
			      (unsigned long long)gfn);
		return false;
	}
	if (!spte_present(f, e) || (f->leaf_perm(e) & access) != access)
		return false;
	*pfn = spte_pfn(f, e);
	*perm = f->leaf_perm(e);
	*leafp = p;
	check_cached(s, v, gfn, access, *pfn);
	return true;
}

static void pde_fill(struct sim_vcpu *v, u64 gfn, u64 *leafp)
{
	u32 i = (gfn >> 9) % SIM_TLB_SIZE;
	v->pde[i].region = gfn >> 9;
	v->pde[i].table = leafp - spte_index(gfn, SPTE_LEVEL_4K);
	v->pde_valid |= 1ull << i;
}

enum sim_result sim_access(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, unsigned access, void **host)
{
	for (u32 attempt = 0;; attempt++) {
		if (!__atomic_load_n(&v->in_guest, __ATOMIC_RELAXED) && !enter_guest(s, v))
			return SIM_ERROR;
		if (handle_requests(v))
			continue;
		u64 pfn;
		if (tlb_lookup(s, v, gfn, access, &pfn)) {
			*host = mmp_phys_to_virt(pfn << PAGE_SHIFT);
			v->accesses++;
			return SIM_OK;
		}
		unsigned perm;
		u64 *leafp;
		int level;
		if (pde_lookup(s, v, gfn, access, &pfn, &perm, &leafp)) {
			tlb_fill(v, gfn, pfn, perm, leafp, SPTE_LEVEL_4K);
			*host = mmp_phys_to_virt(pfn << PAGE_SHIFT);
			v->accesses++;
			return SIM_OK;
		}
		if (sim_walk(s, v->root_pa, gfn, &pfn, &perm, &leafp, &level) == 1 &&
		    (perm & access) == access) {
			tlb_fill(v, gfn, pfn, perm, leafp, level);
			if (level == SPTE_LEVEL_4K)
				pde_fill(v, gfn, leafp);
			*host = mmp_phys_to_virt(pfn << PAGE_SHIFT);
			v->accesses++;
			return SIM_OK;
		}
		/* a second-level fault: exit, let the MMU serve it, re-enter */
		sim_exit_guest(v);
		v->exits++;
		int r = tdp_fault(s->vm, v->mmu, gfn << PAGE_SHIFT, access);
		v->faults++;
		if (r == TDP_MMIO) {
			v->mmio++;
			return SIM_MMIO;
		}
		if (r < 0)
			return SIM_ERROR;
		if (attempt == 100000) {
			sim_violation(s, "gfn %#llx still faults after %u attempts", (unsigned long long)gfn,
				      attempt);
			return SIM_ERROR;
		}
	}
}

void sim_access_done(struct sim_vcpu *v)
{
	handle_requests(v);
}
