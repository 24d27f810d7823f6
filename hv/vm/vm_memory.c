/* Guest RAM as memslots, and the TDP MMU that maps it (hv/vm/vm_memory.h). */
#include "hv/vm/vm_memory.h"
#include "hv/vm/vm.h"
#include "hv/runner/guest_image.h"
#include "hv/console/printf.h"
#include "hv/runner/options.h"
#include "hv/console/console.h"
#include "hv/vm/hc_memslot.h"
#include "hv/vm/nx_recovery.h"
#include "mm/tdp.h"
#include "mm/page_alloc.h"
#include "kstring.h"

struct vm_memory {
	struct vm_mmu *mmu;
	struct vcpu_mmu *vcpu_mmu[VM_MAX_VCPUS];
	u64 ram_pa;     /* host backing of all RAM, contiguous */
	u64 ram_pages;
	u64 pool_pa;    /* host backing of the HC_MEMSLOT pool (cfg->pool), contiguous */
	u64 pool_pages;
	struct nx_recovery nx; /* the VM's MMU worker thread (NX passes only while NX huge pages are on) */
	u32 faults_unchecked[VM_MAX_VCPUS]; /* each vCPU's faults since its last look at the table cap */
};

/* RAM below the device hole and, beyond it, from 4 GiB on (hv/runner/guest_image.h): one or two slots. */
static u32 ram_layout(u64 ram_bytes, u64 ram_pfn, struct memslot_change steps[2])
{
	u64 low = MIN(ram_bytes, GUEST_HOLE_START);
	u32 n = 0;

	steps[n++] = (struct memslot_change){ .op = MEMSLOT_CREATE, .gfn = 0,
		.npages = low >> PAGE_SHIFT, .host_pfn = ram_pfn };
	if (ram_bytes > low)
		steps[n++] = (struct memslot_change){ .op = MEMSLOT_CREATE,
			.gfn = GUEST_HOLE_END >> PAGE_SHIFT, .npages = (ram_bytes - low) >> PAGE_SHIFT,
			.host_pfn = ram_pfn + (low >> PAGE_SHIFT) };
	return n;
}

/* The hypervisor's NX settings, with what the VM's configuration overrides. */
static struct nx_params vm_nx_params(const struct vm_config *cfg)
{
	struct nx_params nx = nx_default_params;
	if (cfg->nx_huge_pages != CONFIG_NX_DEFAULT)
		nx.enabled = cfg->nx_huge_pages;
	if (cfg->nx_ratio != CONFIG_NX_DEFAULT)
		nx.ratio = cfg->nx_ratio;
	if (cfg->nx_period_ms != CONFIG_NX_DEFAULT)
		nx.period_ms = cfg->nx_period_ms;
	return nx;
}

int vm_memory_create(struct vm *vm, char *err, size_t errlen)
{
	struct vm_memory *mem = (struct vm_memory *)palloc(1, PAGE_SIZE);
	if (!mem) {
		ksnprintf(err, errlen, "out of memory for the VM's memory state");
		return -1;
	}
	memset(mem, 0, sizeof(*mem));
	vm->mem = mem;

	mem->ram_pages = vm->ram_bytes >> PAGE_SHIFT;
	mem->ram_pa = palloc(mem->ram_pages, SZ_2M); /* 2M aligned: huge mappings possible */
	if (!mem->ram_pa) {
		ksnprintf(err, errlen, "not enough host memory for %lu MiB of guest RAM",
			  vm->ram_bytes >> 20);
		return -1;
	}
	memset((void *)mem->ram_pa, 0, vm->ram_bytes);

	/* The pool is zeroed like RAM: nothing of a previous VM shows through a new slot. */
	mem->pool_pages = vm->cfg->pool >> PAGE_SHIFT;
	if (mem->pool_pages) {
		mem->pool_pa = palloc(mem->pool_pages, SZ_2M);
		if (!mem->pool_pa) {
			ksnprintf(err, errlen, "not enough host memory for a %lu KiB memslot pool",
				  vm->cfg->pool >> 10);
			return -1;
		}
		memset((void *)mem->pool_pa, 0, vm->cfg->pool);
	}

	struct mmu_config cfg = { .format = vendor->spte, .owner = vm, .nx = vm_nx_params(vm->cfg),
				  .max_vcpus = vm->nvcpus,
				  .zap_policy = (enum mmu_zap_policy)hv_options.mmu_zap };
	int r = mmu_create(&cfg, &mem->mmu);
	if (r) {
		ksnprintf(err, errlen, "cannot create the MMU: %s", tdp_strerror(r));
		return -1;
	}
	struct memslot_change steps[2];
	u32 n = ram_layout(vm->ram_bytes, mem->ram_pa >> PAGE_SHIFT, steps);
	r = memslots_commit(mem->mmu, steps, n, NULL);
	if (r) {
		ksnprintf(err, errlen, "cannot create the RAM memslots: %s", memslot_strerror(r));
		return -1;
	}
	if (!nx_recovery_start(&mem->nx, mem->mmu, cfg.nx.enabled ? cfg.nx.period_ms : 0)) {
		ksnprintf(err, errlen, "out of memory for the VM's MMU worker thread");
		return -1;
	}
	return 0;
}

void vm_memory_destroy(struct vm *vm)
{
	struct vm_memory *mem = vm->mem;
	if (!mem)
		return;
	for (u32 i = 0; i < VM_MAX_VCPUS; i++) {
		if (mem->vcpu_mmu[i])
			mmu_vcpu_destroy(mem->vcpu_mmu[i]);
	}
	nx_recovery_stop(&mem->nx);
	if (mem->mmu)
		mmu_destroy(mem->mmu);
	if (mem->ram_pa)
		palloc_free(mem->ram_pa, mem->ram_pages);
	if (mem->pool_pa)
		palloc_free(mem->pool_pa, mem->pool_pages);
	palloc_free((u64)mem, 1);
	vm->mem = NULL;
}

int vm_memory_vcpu_create(struct vcpu *vcpu)
{
	return mmu_vcpu_create(vcpu->vm->mem->mmu, &vcpu->vm->mem->vcpu_mmu[vcpu->id]);
}

u64 vm_memory_mapping_kib(struct vcpu *vcpu, u64 gpa)
{
	int level = tdp_mapping_level(vcpu->vm->mem->vcpu_mmu[vcpu->id], gpa >> PAGE_SHIFT);
	return level ? 4 * spte_level_pages(level) : 0;
}

void vm_memory_load_root(struct vcpu *vcpu)
{
	struct vcpu_mmu *vmmu = vcpu->vm->mem->vcpu_mmu[vcpu->id];
	u64 root;

	if (!tdp_reload_needed(vmmu))
		return;
	if (tdp_load_root(vmmu, &root) == 0)
		vendor->set_root(vcpu, root); /* implies a flush */
	else
		vm_fail(vcpu, "cannot load a second-level root (out of memory)");
}

/*
 * The cap on a VM's second-level table pages (tdp_table_cap): a guest can
 * make the MMU build tables without bound (its pool aliased by many slots,
 * touched or executed once per 2 MiB), pinning memory every VM faults from.
 * Summing the MMU's counters costs a walk of the vCPUs, so each vCPU looks
 * every CAP_CHECK_FAULTS faults: a VM overshoots by at most that many
 * faults' tables (4 each) per vCPU before it is stopped.
 */
#define CAP_CHECK_FAULTS 32
static u64 live_tables(struct vm_memory *mem)
{
	struct tdp_stats t;
	tdp_get_stats(mem->mmu, &t);
	return t.tables_allocated - t.tables_freed;
}

static bool over_table_cap(struct vcpu *vcpu)
{
	struct vm_memory *mem = vcpu->vm->mem;
	u64 cap = hv_options.tdp_table_cap;

	if (!cap || ++mem->faults_unchecked[vcpu->id] < CAP_CHECK_FAULTS)
		return false;
	mem->faults_unchecked[vcpu->id] = 0;
	return live_tables(mem) > cap;
}

enum mem_fault vm_memory_fault(struct vcpu *vcpu, u64 gpa, bool write, bool exec, const char **why)
{
	struct vm_memory *mem = vcpu->vm->mem;
	unsigned access = MM_READ | (write ? MM_WRITE : 0) | (exec ? MM_EXEC : 0);
	int r = tdp_fault(mem->mmu, mem->vcpu_mmu[vcpu->id], gpa, access);

	if (r == TDP_MAPPED && over_table_cap(vcpu)) {
		*why = "its second-level page tables exceed tdp_table_cap";
		return MEM_FAULT_ERROR;
	}
	if (r == TDP_MAPPED || r == TDP_RETRY)
		return MEM_FAULT_RETRY;
	if (r == TDP_MMIO)
		return MEM_FAULT_MMIO;
	*why = tdp_strerror(r);
	return MEM_FAULT_ERROR;
}

/* The host address of guest frame `gfn` when it is RAM (writable RAM for a write), else NULL. */
static u8 *gfn_host(struct vm *vm, u64 gfn, bool write)
{
	u64 pfn;
	u32 flags;

	if (!memslots_gfn_to_pfn(vm->mem->mmu, gfn, &pfn, &flags) || (write && (flags & MEMSLOT_READONLY)))
		return NULL;
	return (u8 *)(pfn << PAGE_SHIFT);
}

enum gpa_op { GPA_CHECK, GPA_CHECK_WRITE, GPA_READ, GPA_WRITE };

/* Walks [gpa, gpa + len) page by page (pages of one range may lie in different
 * slots), copying when asked; false at the first page that is not RAM. */
static bool walk_gpa(struct vm *vm, u64 gpa, u64 len, u8 *buf, enum gpa_op op)
{
	if (gpa + len < gpa)
		return false;
	for (u64 done = 0; done < len;) {
		u64 off = (gpa + done) & (PAGE_SIZE - 1);
		u64 n = MIN(len - done, PAGE_SIZE - off);
		u8 *host = gfn_host(vm, (gpa + done) >> PAGE_SHIFT, op == GPA_WRITE || op == GPA_CHECK_WRITE);
		if (!host)
			return false;
		if (op == GPA_WRITE) {
			memcpy(host + off, buf + done, n);
			memslots_mark_dirty(vm->mem->mmu, (gpa + done) >> PAGE_SHIFT);
		}
		else if (op == GPA_READ)
			memcpy(buf + done, host + off, n);
		done += n;
	}
	return true;
}

bool vm_gpa_is_ram(struct vm *vm, u64 gpa, u64 len)
{
	return walk_gpa(vm, gpa, len, NULL, GPA_CHECK);
}

/* Checked entirely before any byte moves, so a failed copy changes nothing. */
bool vm_read_gpa(struct vm *vm, u64 gpa, void *buf, u64 len)
{
	return vm_gpa_is_ram(vm, gpa, len) && walk_gpa(vm, gpa, len, buf, GPA_READ);
}

bool vm_write_gpa(struct vm *vm, u64 gpa, const void *buf, u64 len)
{
	return walk_gpa(vm, gpa, len, NULL, GPA_CHECK_WRITE) && walk_gpa(vm, gpa, len, (u8 *)buf, GPA_WRITE);
}

bool vm_gpa_is_rom(struct vm *vm, u64 gpa)
{
	u64 pfn;
	u32 flags;
	return memslots_gfn_to_pfn(vm->mem->mmu, gpa >> PAGE_SHIFT, &pfn, &flags) &&
	       (flags & MEMSLOT_READONLY);
}

bool guest_ram_read(void *vm, u64 gpa, void *buf, u64 len)
{
	return vm_read_gpa(vm, gpa, buf, len);
}

bool guest_ram_write(void *vm, u64 gpa, const void *buf, u64 len)
{
	return vm_write_gpa(vm, gpa, buf, len);
}

s64 vm_memory_memslot_call(struct vm *vm, u64 ops_gpa, u64 count, u64 *bad)
{
	struct vm_memory *mem = vm->mem;
	const struct hc_memslot_vm target = {
		.mmu = mem->mmu,
		.pool_pfn = mem->pool_pa >> PAGE_SHIFT, .pool_pages = mem->pool_pages,
		.ram_pfn = mem->ram_pa >> PAGE_SHIFT, .ram_pages = mem->ram_pages,
		.read = guest_ram_read, .write = guest_ram_write, .ctx = vm,
	};
	s64 r = hc_memslot(&target, ops_gpa, count, bad);
	nx_recovery_reclaim_soon(&mem->nx); /* a fast invalidate leaves obsolete roots to zap */
	return r;
}

void vm_memory_stats(struct vm *vm, struct hc_stats *out)
{
	struct tdp_stats t;
	const struct nx_params *nx = mmu_nx_params(vm->mem->mmu);

	tdp_get_stats(vm->mem->mmu, &t);
	out->mapped_4k = t.mapped_4k;
	out->mapped_2m = t.mapped_2m;
	out->mapped_1g = t.mapped_1g;
	out->pages_mapped = t.pages_mapped;
	out->nx_splits = t.nx_splits;
	out->nx_recovered = t.nx_recovered;
	out->nx_current = t.nx_current;
	out->mmio_marker_hits = t.mmio_marker_hits;
	out->mmio_marker_misses = t.mmio_marker_misses;
	out->mmio_markers_installed = t.mmio_markers_installed;
	out->lock_breaks = t.lock_breaks;
	out->tlb_flushes = t.tlb_flushes;
	out->memslot_generation = memslots_generation(vm->mem->mmu) & ~MEMSLOT_GEN_IN_PROGRESS;
	out->nx_huge_pages = nx->enabled;
	out->nx_ratio = nx->ratio;
	out->nx_period_ms = vm_nx_recovery_running(vm) ? nx->period_ms : 0;
	out->pool_pages = (u32)vm->mem->pool_pages;
	out->tdp_tables = t.tables_allocated - t.tables_freed;
}

void vm_memory_print_reclaim(struct vm *vm)
{
	struct tdp_stats t;

	tdp_get_stats(vm->mem->mmu, &t);
	kprintf("hv: VM %s: mmu: nx current %lu; roots invalidated %lu, zapped %lu, freed %lu; tables freed %lu\n",
		vm->name, t.nx_current, t.roots_invalidated, t.roots_zapped, t.roots_freed, t.tables_freed);
}

bool vm_nx_recovery_running(struct vm *vm)
{
	return nx_recovery_running(&vm->mem->nx);
}
