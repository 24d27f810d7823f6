/*
 * hv_run: the suite runner (hv/runner/run.h). Reads the suite configuration from
 * the boot images, keeps up to `parallel` VMs running, judges each against
 * its `expect` and its TAP report as it ends, prints per-VM results and the
 * summary `N passed, N failed`, and returns the exit status.
 */
#include "hv/runner/run.h"
#include "hv/vm/vm_memory.h"
#include "hv/hv_exit.h"
#include "hv/console/console.h"
#include "hv/runner/options.h"
#include "hv/console/printf.h"
#include "hv/vm/vm.h"
#include "hv/runner/loader.h"
#include "hv/sched/sched.h"
#include "hv/cpu/time.h"
#include "hv/cpu/percpu.h"
#include "mm/page_alloc.h"
#include "kstring.h"

/* A VM in flight. */
struct running {
	struct vm *vm;
	u64 started_ns;
	u64 deadline_ns; /* 0: no time limit */
};

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
		   (cfg->expect == EXPECT_HALT && vm->outcome == VM_HALTED) ||
		   (cfg->expect == EXPECT_TIMEOUT && vm->outcome == VM_TIMED_OUT) ||
		   (cfg->expect == EXPECT_RESET && vm->outcome == VM_RESET);
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

	vm_stats_update(vm);
	kprintf("hv: VM %s: %lu exits (io %lu, cpuid %lu, msr %lu, hlt %lu, hypercall %lu, tdp-fault %lu, "
		"mmio %lu), unknown ports: %lu reads, %lu writes\n",
		vm->name, s->exits, s->exits_io, s->exits_cpuid, s->exits_msr, s->exits_hlt,
		s->exits_hypercall, s->exits_tdp_fault, s->mmio_accesses, s->unknown_port_reads,
		s->unknown_port_writes);
	kprintf("hv: VM %s: mmu: mapped 4K %lu, 2M %lu, 1G %lu; nx splits %lu, recovered %lu; "
		"mmio markers %lu installed, %lu hits, %lu misses; lock breaks %lu, tlb flushes %lu "
		"(%lu kicked a vCPU in guest mode); memslot calls %lu\n",
		vm->name, s->mapped_4k, s->mapped_2m, s->mapped_1g, s->nx_splits, s->nx_recovered,
		s->mmio_markers_installed, s->mmio_marker_hits, s->mmio_marker_misses, s->lock_breaks,
		s->tlb_flushes, vm->flush_kicks, s->memslot_calls);
	vm_memory_print_reclaim(vm);
	kprintf("hv: VM %s: second-level tables: %lu pages now (tdp_table_cap %lu)\n", vm->name, s->tdp_tables,
		(unsigned long)hv_options.tdp_table_cap);
	if (s->console_dropped || s->console_filtered)
		kprintf("hv: VM %s: console: %lu line(s) over console_rate not printed, %lu byte(s) filtered\n",
			vm->name, s->console_dropped, s->console_filtered);
}

/* Prints the verdict on one VM (ran_ms: how long it ran); true when it passed. */
static bool report(const struct vm_config *cfg, struct vm *vm, const char *why, u64 ran_ms)
{
	char why_buf[96];

	if (!why) {
		print_stats(vm);
		why = judge(vm, why_buf, sizeof(why_buf));
	}
	if (why)
		kprintf("hv: VM %s: FAILED: %s\n", cfg->name, why);
	else
		kprintf("hv: VM %s: passed (%s, %u test%s ok, %lu ms)\n", cfg->name,
			vm->outcome == VM_EXITED ? "exit" : vm_outcome_name(vm->outcome),
			vm->tap.passed, vm->tap.passed == 1 ? "" : "s", (unsigned long)ran_ms);
	return !why;
}

/* "hv: VM smp: vCPUs on CPUs 0 1 2 3": where each vCPU's thread is pinned. */
static void print_placement(const struct vm *vm)
{
	char cpus[4 * VM_MAX_VCPUS + 1];
	size_t len = 0;

	for (u32 i = 0; i < vm->nvcpus; i++)
		len += ksnprintf(cpus + len, sizeof(cpus) - len, " %u", vm->vcpus[i].cpu);
	kprintf("hv: VM %s: vCPU%s on CPU%s%s\n", vm->name, vm->nvcpus == 1 ? "" : "s",
		vm->nvcpus == 1 ? "" : "s", cpus);
}

/* Creates, loads and starts one VM; NULL (after reporting it failed) when it cannot run. */
static struct vm *start_one(const struct boot_info *bi, const struct vm_config *cfg)
{
	char err[256];
	struct vm *vm;

	kprintf("hv: VM %s: starting (%s, %lu MiB, %u vCPU%s)\n", cfg->name, cfg->image, cfg->mem >> 20,
		cfg->cpus, cfg->cpus == 1 ? "" : "s");
	vm = vm_create(cfg, err, sizeof(err));
	if (vm && loader_load(vm, bi, err, sizeof(err)) == 0) {
		if (vm_start(vm, sched_current()))
			print_placement(vm);
		return vm;
	}
	report(cfg, vm, err, 0);
	if (vm)
		vm_destroy(vm);
	return NULL;
}

/* Waits for the VM's threads, judges it and frees it; true when it passed. */
static bool finish_one(const struct running *r)
{
	vm_join(r->vm);
	bool passed = report(r->vm->cfg, r->vm, NULL, (time_now_ns() - r->started_ns) / NSEC_PER_MSEC);
	vm_destroy(r->vm);
	return passed;
}

/* VMs in flight at once: the command line's parallel=, else one per CPU that runs guests. */
static u32 parallelism(void)
{
	u32 n = 0;

	if (hv_options.parallel)
		return (u32)hv_options.parallel;
	for (u32 c = 0; c < cpu_count; c++)
		n += vendor_cpu_ready(c);
	return MAX(MIN(n, (u32)RUN_MAX_PARALLEL), 1u);
}

/* A VM at its time limit: stop it, saying what each vCPU was doing. */
static void time_out(struct vm *vm)
{
	char states[48 * VM_MAX_VCPUS];

	states[0] = '\0';
	for (u32 i = 0; i < vm->nvcpus; i++)
		kappendf(states, sizeof(states), "%s%u %s (%lu exits)", i ? ", " : "", i,
			 vcpu_mp_state_name(&vm->vcpus[i]), (unsigned long)vm->vcpus[i].exits);
	kprintf("hv: VM %s: time limit (%u ms) reached; vCPUs: %s\n", vm->name, vm->cfg->timeout_ms, states);
	vm_stop(vm, VM_TIMED_OUT, 0);
}

/*
 * Blocks until one of the VMs in flight finished (returns its index) or a
 * time limit passed (stops that VM, which then finishes). Every vCPU
 * thread's last act wakes this thread (vm_vcpu_done), so no end is missed.
 */
static u32 wait_for_one(struct running *fly, u32 n)
{
	for (;;) {
		u64 now = time_now_ns(), next = 0;
		for (u32 i = 0; i < n; i++) {
			if (vm_finished(fly[i].vm))
				return i;
			if (fly[i].deadline_ns && fly[i].deadline_ns <= now) {
				time_out(fly[i].vm);
				fly[i].deadline_ns = 0;
			} else if (fly[i].deadline_ns && (!next || fly[i].deadline_ns < next)) {
				next = fly[i].deadline_ns;
			}
		}
		sched_block(next);
	}
}

/* Runs the whole suite; returns how many VMs passed. */
static u32 run_suite(const struct boot_info *bi, u32 parallel, u32 *most_at_once)
{
	struct running fly[RUN_MAX_PARALLEL];
	u32 n = 0, next = 0, passed = 0;

	*most_at_once = 0;
	while (next < suite.count || n) {
		while (n < parallel && next < suite.count) {
			const struct vm_config *cfg = &suite.vms[next++];
			struct vm *vm = start_one(bi, cfg);
			if (!vm)
				continue;
			u64 now = time_now_ns();
			fly[n++] = (struct running){ vm, now,
				cfg->timeout_ms ? now + (u64)cfg->timeout_ms * NSEC_PER_MSEC : 0 };
			*most_at_once = MAX(*most_at_once, n);
		}
		if (!n)
			break;
		u32 i = wait_for_one(fly, n);
		passed += finish_one(&fly[i]);
		fly[i] = fly[--n];
	}
	return passed;
}

int hv_run(struct boot_info *bi)
{
	const char *name = hv_options.config;
	char err[200];
	const char *why;

	if (bi->images_dropped) {
		kprintf("hv: %u boot images beyond the first %u were dropped: ship fewer\n", bi->images_dropped,
			BOOT_MAX_IMAGES);
		return HV_EXIT_USAGE;
	}
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
	u32 parallel = parallelism(), most;
	u64 free_before = palloc_free_pages(), start_ns = time_now_ns();
	kprintf("hv: running %u VM%s from %s with %s, up to %u at once\n", suite.count,
		suite.count == 1 ? "" : "s", name, vendor->name, parallel);
	u32 passed = run_suite(bi, parallel, &most);
	kprintf("hv: at most %u VM%s ran at once; the suite took %lu ms\n", most, most == 1 ? "" : "s",
		(unsigned long)((time_now_ns() - start_ns) / NSEC_PER_MSEC));
	/* Every VM gives back all it took: a page missing here is a leak in the hypervisor. */
	u64 free_after = palloc_free_pages();
	bool leak = free_after != free_before;
	if (leak)
		kprintf("hv: %ld pages not returned after the VMs ran (a leak): failing the run\n",
			(long)(free_before - free_after));
	kprintf("%u passed, %u failed\n", passed, suite.count - passed);
	return passed == suite.count && !leak ? HV_EXIT_OK : HV_EXIT_FAILED;
}
