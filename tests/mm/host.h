/*
 * Host test support for the MMU core: the hosted mm/platform.h (pages from
 * the C heap, poisoned and quarantined when freed; an instrumented flush),
 * two entry formats (EPT-like and NPT-like), and simulated vCPUs that walk
 * the tables like hardware, keep a TLB and answer flush requests.
 */
#ifndef TESTS_MM_HOST_H
#define TESTS_MM_HOST_H

#include "types.h"
#include "mm/tdp_internal.h"
#include "mm/platform.h"

/* ---- platform (tests/mm/platform_host.c) ---- */
#define POISON 0x5a5a5a5a5a5a5a5aull  /* every word of a freed page */
extern void (*host_flush_hook)(void *owner); /* called by mmp_flush_remote_tlbs */
/* Called by mmp_yield() (lock breaks, spin waits): tests run code inside a lock break. */
extern void (*host_yield_hook)(void);
extern u32 host_yield_every;         /* mmp_should_yield() true every Nth call (0 = never) */
extern bool host_check_poison;       /* freed pages are poisoned and quarantined */
u64 host_pages_live(void);           /* pages allocated and not freed */
u64 host_flushes(void);
bool host_page_poisoned(const void *page); /* freed and still in quarantine */
void host_quarantine_drain(void);

/* ---- formats (tests/mm/formats.c) ---- */
extern struct spte_format test_ept;  /* EPT-like: R/W/X bits 0-2, PS bit 7, marker bit 62 */
extern struct spte_format test_npt;  /* NPT-like: P/RW/US bits 0-2 on every level, NX bit 63 */
extern int test_mmio_gen_bits;       /* marker width both use (default 8) */
bool test_npt_user_ok(u64 spte);     /* NPT: U/S set on a present entry */

/* ---- simulated vCPUs (tests/mm/vcpu_sim.c) ---- */
#define SIM_TLB_SIZE 64

struct sim_tlb_entry {
	u64 gfn;          /* 4K frame */
	u64 pfn;
	unsigned perm;
	u64 *sptep;       /* the leaf entry it came from, and its value */
	u64 spte;
	int level;
};

struct sim_vcpu {
	struct vm_mmu *vm;
	struct vcpu_mmu *mmu;
	u64 root_pa;
	u32 in_guest;     /* 1 while "in guest mode" */
	u32 flush_req;    /* set by a flusher, cleared (acked) by the vCPU */
	struct sim_tlb_entry tlb[SIM_TLB_SIZE];
	u64 tlb_valid;    /* bitmap */
	/* paging-structure cache: the 4K table of a 2M region, as hardware keeps it */
	struct { u64 region; u64 *table; } pde[SIM_TLB_SIZE];
	u64 pde_valid;
	u64 accesses, faults, exits, mmio;
};

/* A VM with the simulated flush: every flush reaches the sim vCPUs registered to it. */
struct sim_vm {
	struct vm_mmu *vm;
	struct sim_vcpu *vcpus[MMU_MAX_VCPUS];
	u32 nvcpus;
	u64 violations;   /* invariant checks that failed (see vcpu_sim.c) */
	char first_violation[200];
};

void sim_vm_init(struct sim_vm *s, const struct spte_format *fmt, struct nx_params nx);
void sim_vm_destroy(struct sim_vm *s);
struct sim_vcpu *sim_vcpu_add(struct sim_vm *s);
void sim_violation(struct sim_vm *s, const char *fmt, ...);

/* Walk like hardware: 1 = translated (*pfn, *perm), 0 = not present, -1 = marker. */
int sim_walk(struct sim_vm *s, u64 root_pa, u64 gfn, u64 *pfn, unsigned *perm, u64 **leafp, int *level);

enum sim_result { SIM_OK, SIM_MMIO, SIM_ERROR };
/*
 * One guest access at gfn as a vCPU thread does it: enter guest mode (reload
 * the root if needed), translate through TLB or tables, fault and retry as
 * needed. On SIM_OK, *host is the host address of the frame. The caller must
 * then call sim_access_done() (between the two, flushes wait for it).
 */
enum sim_result sim_access(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, unsigned access, void **host);
void sim_access_done(struct sim_vcpu *v);
/* Leave guest mode (a thread that stops accessing for a while). */
void sim_exit_guest(struct sim_vcpu *v);

#endif
