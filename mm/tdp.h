/*
 * The TDP MMU: a VM's second-level tables (EPT or NPT), what a vCPU loop
 * calls, and the invalidation and recovery work a worker thread runs.
 * Design and invariants: docs/MMU.md.
 *
 * A vCPU loop, in short:
 *
 *     if (tdp_reload_needed(vcpu_mmu))          // before every guest entry
 *             tdp_load_root(vcpu_mmu, &root_pa); // hand root_pa to the hardware
 *     ... run the guest ...
 *     on an EPT violation / NPF at gpa:
 *         switch (tdp_fault(vm_mmu, vcpu_mmu, gpa, MM_READ | MM_WRITE ...)) {
 *         case TDP_MAPPED: case TDP_RETRY: re-enter (reload the root first if needed)
 *         case TDP_MMIO:   emulate the access at gpa
 *         default:         stop the VM with tdp_strerror(result)
 *         }
 *
 * Flush requests come through mmp_flush_remote_tlbs(owner) (mm/platform.h).
 */
#ifndef MM_TDP_H
#define MM_TDP_H

#include "types.h"
#include "mm/spte.h"
#include "mm/memslot.h"

struct vm_mmu;   /* one per VM */
struct vcpu_mmu; /* one per vCPU */

/* NX huge pages (iTLB multihit mitigation), MMU.md §6. Command-line tunables. */
struct nx_params {
	bool enabled;       /* huge mappings are never executable */
	u32 ratio;          /* each recovery pass zaps ceil(split tables / ratio) */
	u32 period_ms;      /* a recovery pass every period_ms (the worker's clock) */
};
#define NX_DEFAULT_RATIO 60
#define NX_DEFAULT_PERIOD_MS (3600u * 1000u / NX_DEFAULT_RATIO)
extern struct nx_params nx_default_params; /* enabled, 60, 60 s; set from the command line */

/* How a memslot update removes mappings (MMU.md §4); AUTO chooses by mapped size. */
enum mmu_zap_policy {
	MMU_ZAP_AUTO = 0,
	MMU_ZAP_FAST,   /* always fast invalidate */
	MMU_ZAP_SLOT,   /* always zap only what the slot maps */
};

struct mmu_config {
	const struct spte_format *format; /* from the vendor backend */
	void *owner;                      /* passed back to mmp_flush_remote_tlbs() */
	struct nx_params nx;
	u32 max_vcpus;                    /* at most MMU_MAX_VCPUS */
	enum mmu_zap_policy zap_policy;   /* 0 = AUTO; the others for tests and benchmarks */
};
#define MMU_MAX_VCPUS 64

/* Returns 0, or a negative enum tdp_result (TDP_E_NOMEM, TDP_E_INVALID). */
int mmu_create(const struct mmu_config *cfg, struct vm_mmu **out);
/* Frees everything: no vCPU may run, the vcpu_mmus must be destroyed first. */
void mmu_destroy(struct vm_mmu *vm);
int mmu_vcpu_create(struct vm_mmu *vm, struct vcpu_mmu **out);
void mmu_vcpu_destroy(struct vcpu_mmu *vcpu);

/* True when the vCPU has no root, or its root is obsolete (MMU.md §4). */
bool tdp_reload_needed(const struct vcpu_mmu *vcpu);
/* Drop the old root, take (or build) the current one; *root_pa for the hardware. */
int tdp_load_root(struct vcpu_mmu *vcpu, u64 *root_pa);

enum tdp_result {
	TDP_MAPPED = 0,     /* the access will succeed when the guest retries it */
	TDP_MMIO = 1,       /* no RAM there (or a write to a read-only slot): emulate at gpa */
	TDP_RETRY = 2,      /* layout changed meanwhile, or the root is obsolete: re-enter */
	TDP_E_NOMEM = -1,   /* no page for a table */
	TDP_E_GPA = -2,     /* gpa beyond the guest-physical address space */
	TDP_E_INVALID = -3, /* bad argument (configuration, access bits) */
};
const char *tdp_strerror(int result);

/* Serve a second-level fault at gpa; access is enum mm_access bits. */
int tdp_fault(struct vm_mmu *vm, struct vcpu_mmu *vcpu, u64 gpa, unsigned access);

/*
 * Zap [gfn, gfn + npages) in every root (the "zap slot" strategy), or
 * invalidate everything at once (the "fast invalidate" strategy: every root
 * becomes obsolete, vCPUs reload, the old tables are zapped by
 * tdp_reclaim()). memslots_commit() picks one by mapped size; both stay
 * callable for tests and benchmarks. Both return after the remote flush.
 */
void tdp_zap_range(struct vm_mmu *vm, u64 gfn, u64 npages);
void tdp_invalidate_all(struct vm_mmu *vm);

/*
 * The worker's job: zap the tables of obsolete roots (oldest first, in
 * batches, breaking the lock when someone waits) and give zapped table pages
 * back after a grace period. Returns the number of table pages freed.
 */
u64 tdp_reclaim(struct vm_mmu *vm);

/*
 * One NX recovery pass: zap ceil(split tables / ratio) of the oldest
 * NX-split tables, at most `budget`, in small batches. Returns how many.
 * The worker calls it every nx.period_ms.
 */
u32 nx_recover(struct vm_mmu *vm, u32 budget);
const struct nx_params *mmu_nx_params(struct vm_mmu *vm);

/* Counters, in the spirit of KVM's per-VM statistics. */
struct tdp_stats {
	u64 faults;              /* tdp_fault() calls */
	u64 faults_fixed;        /* a mapping was installed or upgraded */
	u64 faults_spurious;     /* already mapped (another vCPU won) */
	u64 faults_retry;        /* TDP_RETRY returned */
	u64 mapped_4k, mapped_2m, mapped_1g; /* leaves installed, per size */
	u64 pages_mapped;        /* 4K frames currently mapped (approximate while zaps run) */
	u64 tables_allocated, tables_freed;
	u64 sptes_zapped;        /* present entries cleared (a table entry counts once) */
	u64 tlb_flushes;         /* mmp_flush_remote_tlbs() calls */
	u64 lock_breaks;         /* mmu_lock dropped on purpose in a long operation */
	u64 roots_created, roots_invalidated, roots_zapped, roots_freed; /* zapped: by tdp_reclaim */
	u64 mmio_faults;         /* TDP_MMIO returned */
	u64 mmio_marker_hits, mmio_marker_misses, mmio_markers_installed;
	u64 mmio_marker_wraps;   /* all markers zapped because the generation bits wrapped */
	u64 nx_splits, nx_recovered, nx_current;
	u64 dirty_pages_logged;
};
void tdp_get_stats(struct vm_mmu *vm, struct tdp_stats *out);

/* The level of the present leaf that maps gfn in the vCPU's current root
 * (SPTE_LEVEL_4K, 2M, ...), 0 when none does. Called on the vCPU's thread. */
int tdp_mapping_level(struct vcpu_mmu *vcpu, u64 gfn);

#endif
