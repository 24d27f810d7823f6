/* VM objects: creation from a configuration, running, stopping (hv/vm/vm.h). */
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"
#include "hv/runner/options.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/console_input.h"
#include "hv/console/console.h"
#include "hv/console/printf.h"
#include "mm/page_alloc.h"
#include "hv/vm/mm_platform.h"
#include "hv/sched/kthread.h"
#include "hv/sched/sched.h"
#include "hv/cpu/percpu.h"
#include "hv/runner/options.h"
#include "kstring.h"
#include <stdarg.h>

#define VM_PAGES (ALIGN_UP(sizeof(struct vm), PAGE_SIZE) / PAGE_SIZE)

/*
 * mm/ asks for this after zapping translations: every vCPU flushes before
 * it next enters the guest. A vCPU in guest mode is kicked out, and this
 * waits until it has left (hv/cpu/kick.h), so no stale translation is used after
 * the return.
 */
static void vm_flush_remote_tlbs(void *owner)
{
	struct vm *vm = owner;

	for (u32 i = 0; i < vm->nvcpus; i++) {
		__atomic_fetch_or(&vm->vcpus[i].requests, VCPU_REQ_FLUSH_TLB, __ATOMIC_SEQ_CST);
		if (guest_kick_and_wait(&vm->vcpus[i].presence))
			__atomic_fetch_add(&vm->flush_kicks, 1, __ATOMIC_RELAXED);
	}
}

void vm_init(void)
{
	mm_platform_set_flush(vm_flush_remote_tlbs);
}

static u64 vm_serials;

struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vm *vm = (struct vm *)palloc(VM_PAGES, PAGE_SIZE);

	if (!vm) {
		ksnprintf(err, errlen, "out of memory for the VM object");
		return NULL;
	}
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->name = cfg->name;
	vm->serial = __atomic_add_fetch(&vm_serials, 1, __ATOMIC_RELAXED);
	vm->ram_bytes = cfg->mem;
	vm->nvcpus = cfg->cpus;
	vm->pc_testdev.enabled = cfg->testdev;
	isa_irq_reset(vm);
	acpi_pm_reset(vm);
	pit_reset(vm);
	rtc_reset(vm);
	spin_init(&vm->lock);
	guest_console_init(vm, (u32)hv_options.console_rate);
	if (vm_memory_create(vm, err, errlen))
		goto fail;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->test_bad_entry = hv_options.test_bad_guest_state[0] &&
				       strcmp(vm->name, hv_options.test_bad_guest_state) == 0;
		if (vm_memory_vcpu_create(vcpu)) {
			ksnprintf(err, errlen, "out of memory for vCPU %u", i);
			goto fail;
		}
		vcpu_mp_reset(vcpu);
		vlapic_reset(vcpu);
		msr_vcpu_reset(vcpu);
	}
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	vm_memory_destroy(vm);
	palloc_free((u64)vm, VM_PAGES);
}

/* The next CPU that can run guests, taken in turn so that vCPUs and VMs spread out. */
static u32 next_vcpu_cpu(void)
{
	static u32 next;

	for (u32 k = 0; k < cpu_count; k++) {
		u32 c = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % cpu_count;
		if (vendor_cpu_ready(c))
			return c;
	}
	return 0; /* the boot CPU always can (hv_run checks) */
}

bool vm_start(struct vm *vm, struct thread *waiter)
{
	bool input = console_input_start(vm); /* first: the vCPUs' first bytes already go out raw */
	/* Test only: a wide gap between a vCPU thread's start and the store below
	 * (vcpu_thread publishes itself: its INIT-SIPI must not be lost meanwhile). */
	bool late = hv_options.test_late_vcpu_publish[0] && strcmp(vm->name, hv_options.test_late_vcpu_publish) == 0;

	vm->waiter = waiter;
	vm->vcpus_running = vm->nvcpus;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		char name[KTHREAD_NAME_MAX];
		ksnprintf(name, sizeof(name), "%s/%u", vm->name, i);
		vcpu->cpu = next_vcpu_cpu();
		struct thread *t = kthread_create_joinable(name, vcpu_thread, vcpu, (int)vcpu->cpu);
		if (!t) {
			vm_fail(vcpu, "out of memory for vCPU %u's thread", i);
			/* The threads never made count as finished. */
			for (u32 j = i; j < vm->nvcpus; j++)
				vm_vcpu_done(vm);
			return false;
		}
		if (late)
			sched_sleep_ns(200000000ull);
		__atomic_store_n(&vcpu->thread, t, __ATOMIC_RELEASE);
	}
	if (!input)
		vm_fail(&vm->vcpus[0], "out of memory for the console input thread");
	return true;
}

void vm_vcpu_done(struct vm *vm)
{
	struct thread *waiter = vm->waiter; /* read first: the VM may be freed once the count is 0 */
	if (__atomic_sub_fetch(&vm->vcpus_running, 1, __ATOMIC_ACQ_REL) == 0)
		sched_wake(waiter);
}

bool vm_finished(struct vm *vm)
{
	return __atomic_load_n(&vm->vcpus_running, __ATOMIC_ACQUIRE) == 0;
}

void vm_join(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct thread *t = vm->vcpus[i].thread;
		if (t)
			kthread_join(t);
		vm->vcpus[i].thread = NULL;
	}
	console_input_stop(vm);
	guest_console_flush(vm);
}

/* Wins the right to set the verdict: only the first of vm_stop/vm_fail does. */
static bool claim_stop(struct vm *vm)
{
	return __atomic_exchange_n(&vm->stopping, 1, __ATOMIC_ACQ_REL) == 0;
}

/* After the verdict is written: publishes it and gets every vCPU out. */
static void publish_stop(struct vm *vm, enum vm_outcome outcome)
{
	__atomic_store_n(&vm->outcome, outcome, __ATOMIC_RELEASE);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		__atomic_fetch_or(&v->requests, VCPU_REQ_STOP, __ATOMIC_SEQ_CST);
		guest_kick(&v->presence);
		vcpu_wake(v);
	}
}

void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 exit_status)
{
	if (!claim_stop(vm))
		return;
	vm->exit_status = exit_status;
	publish_stop(vm, outcome);
}

/* Writes the message and stops the VM as failed; false when another reason stopped it first. */
static bool fail_with(struct vm *vm, const char *fmt, va_list ap)
{
	if (!claim_stop(vm))
		return false;
	kvsnprintf(vm->error, sizeof(vm->error), fmt, ap);
	publish_stop(vm, VM_FAILED);
	kprintf("[%s] hv: VM stopped: %s\n", vm->name, vm->error);
	return true;
}

void vm_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	struct vm *vm = vcpu->vm;
	va_list ap;

	va_start(ap, fmt);
	bool stopped = fail_with(vm, fmt, ap);
	va_end(ap);
	if (!stopped || !vcpu->vendor)
		return; /* stopped already, or it never had a backend state: nothing to show */
	kprintf("[%s] hv: vCPU %u state (%s):\n", vm->name, vcpu->id, vendor->name);
	vendor->dump(vcpu);
}

void vm_fail_device(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_with(vm, fmt, ap);
	va_end(ap);
}

void vm_stats_update(struct vm *vm)
{
	struct hc_stats *s = &vm->stats;

	s->size = sizeof(*s);
	s->vcpus = vm->nvcpus;
	s->exits = 0;
	for (u32 i = 0; i < vm->nvcpus; i++)
		s->exits += __atomic_load_n(&vm->vcpus[i].exits, __ATOMIC_RELAXED);
	vm_memory_stats(vm, s);
}

const char *vm_outcome_name(enum vm_outcome outcome)
{
	switch (outcome) {
	case VM_RUNNING: return "running";
	case VM_EXITED: return "exit";
	case VM_HALTED: return "halt";
	case VM_TRIPLE_FAULT: return "triple-fault";
	case VM_TIMED_OUT: return "timeout";
	case VM_RESET: return "reset";
	case VM_FAILED: return "stopped by the hypervisor";
	}
	return "?";
}
