/*
 * hv_run: the suite runner. Reads the suite configuration from the boot
 * images, runs its VMs one after the other, judges each against its
 * `expect` and its TAP report, prints per-VM results and the summary
 * `N passed, N failed`, and returns the exit status (0: all passed).
 */
#include "hv/run.h"
#include "hv/vm_memory.h"
#include "hv/exit.h"
#include "hv/console.h"
#include "hv/options.h"
#include "hv/printf.h"
#include "hv/vm.h"
#include "hv/loader.h"
#include "mm/page_alloc.h"
#include "kstring.h"

static struct suite_config suite; /* too big for the stack */

/* NULL when the VM met its expectations, else why not. */
static const char *judge(const struct vm *vm, char *buf, size_t len)
{
	const struct vm_config *cfg = vm->cfg;
	char want[32];

	if (vm->outcome == VM_FAILED)
		return vm->error;
	bool met = (cfg->expect == EXPECT_EXIT && vm->outcome == VM_EXITED &&
		    vm->exit_status == cfg->expect_status) ||
		   (cfg->expect == EXPECT_TRIPLE_FAULT && vm->outcome == VM_TRIPLE_FAULT) ||
		   (cfg->expect == EXPECT_HALT && vm->outcome == VM_HALTED);
	if (!met) {
		config_expect_str(cfg, want, sizeof(want));
		if (vm->outcome == VM_EXITED)
			ksnprintf(buf, len, "expected %s, got exit:%u", want, vm->exit_status);
		else
			ksnprintf(buf, len, "expected %s, got %s", want, vm_outcome_name(vm->outcome));
		return buf;
	}
	return tap_problem(&vm->tap, buf, len);
}

static void print_stats(struct vm *vm)
{
	struct hc_stats *s = &vm->stats;

	kprintf("hv: VM %s: %lu exits (io %lu, cpuid %lu, msr %lu, hlt %lu, hypercall %lu, tdp-fault %lu, "
		"mmio %lu), unknown ports: %lu reads, %lu writes\n",
		vm->name, s->exits, s->exits_io, s->exits_cpuid, s->exits_msr, s->exits_hlt,
		s->exits_hypercall, s->exits_tdp_fault, s->mmio_accesses, s->unknown_port_reads,
		s->unknown_port_writes);
	vm_memory_stats(vm, s);
	kprintf("hv: VM %s: mmu: mapped 4K %lu, 2M %lu, 1G %lu; nx splits %lu, recovered %lu; "
		"mmio markers %lu installed, %lu hits, %lu misses; lock breaks %lu, tlb flushes %lu; "
		"memslot calls %lu\n",
		vm->name, s->mapped_4k, s->mapped_2m, s->mapped_1g, s->nx_splits, s->nx_recovered,
		s->mmio_markers_installed, s->mmio_marker_hits, s->mmio_marker_misses, s->lock_breaks,
		s->tlb_flushes, s->memslot_calls);
	vm_memory_print_reclaim(vm);
}

/* Runs one VM; true when it passed. */
static bool run_one(const struct boot_info *bi, const struct vm_config *cfg)
{
	char err[256], why_buf[96];
	const char *why = err;
	struct vm *vm;

	kprintf("hv: VM %s: starting (%s, %lu MiB)\n", cfg->name, cfg->image, cfg->mem >> 20);
	vm = vm_create(cfg, err, sizeof(err));
	if (vm && loader_load(vm, bi, err, sizeof(err)) == 0) {
		vm_run(vm);
		print_stats(vm);
		why = judge(vm, why_buf, sizeof(why_buf));
	}
	if (why)
		kprintf("hv: VM %s: FAILED: %s\n", cfg->name, why);
	else
		kprintf("hv: VM %s: passed (%s, %u test%s ok)\n", cfg->name,
			vm->outcome == VM_EXITED ? "exit" : vm_outcome_name(vm->outcome),
			vm->tap.passed, vm->tap.passed == 1 ? "" : "s");
	if (vm)
		vm_destroy(vm);
	return !why;
}

int hv_run(struct boot_info *bi)
{
	const char *name = hv_options.config;
	char err[200];
	const char *why;

	const struct boot_image *img = boot_find_image(bi, name);
	if (!img) {
		kprintf("hv: config '%s' not found among the %u boot images\n", name, bi->image_count);
		return HV_EXIT_USAGE;
	}
	if (config_parse(name, (const char *)img->addr, img->size, &suite, err, sizeof(err))) {
		kprintf("hv: %s\n", err);
		return HV_EXIT_USAGE;
	}
	why = vendor_select();
	if (!why)
		why = vendor_enable_all_cpus();
	if (why) {
		kprintf("hv: cannot run guests: %s\n", why);
		return HV_EXIT_FAILED;
	}

	vm_init();
	u32 passed = 0;
	u64 free_before = palloc_free_pages();
	kprintf("hv: running %u VM%s from %s with %s\n", suite.count, suite.count == 1 ? "" : "s",
		name, vendor->name);
	for (u32 i = 0; i < suite.count; i++)
		passed += run_one(bi, &suite.vms[i]);
	/* Every VM gives back all it took: a page missing here is a leak in the hypervisor. */
	u64 free_after = palloc_free_pages();
	bool leak = free_after != free_before;
	if (leak)
		kprintf("hv: %ld pages not returned after the VMs ran (a leak): failing the run\n",
			(long)(free_before - free_after));
	kprintf("%u passed, %u failed\n", passed, suite.count - passed);
	return passed == suite.count && !leak ? HV_EXIT_OK : HV_EXIT_FAILED;
}
