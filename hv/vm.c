/* VM objects: creation from a configuration, running, stopping (hv/vm.h). */
#include "hv/vm.h"
#include "hv/vm_memory.h"
#include "hv/nx_recovery.h"
#include "hv/exit_dispatch.h"
#include "hv/console.h"
#include "hv/printf.h"
#include "mm/page_alloc.h"
#include "hv/mm_platform.h"
#include "kstring.h"
#include <stdarg.h>

#define VM_PAGES (ALIGN_UP(sizeof(struct vm), PAGE_SIZE) / PAGE_SIZE)

/*
 * mm/ asks for this after zapping translations: every vCPU flushes before
 * it next enters the guest. A vCPU in guest mode is kicked out, and this
 * waits until it has left (hv/kick.h), so no stale translation is used after
 * the return.
 */
static void vm_flush_remote_tlbs(void *owner)
{
	struct vm *vm = owner;

	for (u32 i = 0; i < vm->nvcpus; i++) {
		__atomic_fetch_or(&vm->vcpus[i].requests, VCPU_REQ_FLUSH_TLB, __ATOMIC_SEQ_CST);
		guest_kick_and_wait(&vm->vcpus[i].presence);
	}
}

void vm_init(void)
{
	mm_platform_set_flush(vm_flush_remote_tlbs);
}

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
	vm->ram_bytes = cfg->mem;
	vm->nvcpus = cfg->cpus;
	if (vm_memory_create(vm, err, errlen))
		goto fail;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		vcpu->vm = vm;
		vcpu->id = i;
		if (vendor->vcpu_create(vcpu) || vm_memory_vcpu_create(vcpu)) {
			ksnprintf(err, errlen, "out of memory for vCPU %u", i);
			goto fail;
		}
		msr_vcpu_reset(vcpu);
	}
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].vendor)
			vendor->vcpu_destroy(&vm->vcpus[i]);
	}
	vm_memory_destroy(vm);
	palloc_free((u64)vm, VM_PAGES);
}

void vm_run(struct vm *vm)
{
	/* Only the bootstrap vCPU runs: the others would wait for INIT/SIPI. */
	vcpu_run(&vm->vcpus[0]);
	guest_console_flush(vm);
}

void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 exit_status)
{
	if (vm->outcome != VM_RUNNING)
		return;
	vm->outcome = outcome;
	vm->exit_status = exit_status;
}

void vm_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	struct vm *vm = vcpu->vm;
	va_list ap;

	if (vm->outcome != VM_RUNNING)
		return;
	va_start(ap, fmt);
	kvsnprintf(vm->error, sizeof(vm->error), fmt, ap);
	va_end(ap);
	vm_stop(vm, VM_FAILED, 0);
	guest_console_flush(vm);
	kprintf("[%s] hv: VM stopped: %s\n", vm->name, vm->error);
	kprintf("[%s] hv: vCPU %u state (%s):\n", vm->name, vcpu->id, vendor->name);
	vendor->dump(vcpu);
}

const char *vm_outcome_name(enum vm_outcome outcome)
{
	switch (outcome) {
	case VM_RUNNING: return "running";
	case VM_EXITED: return "exit";
	case VM_HALTED: return "halt";
	case VM_TRIPLE_FAULT: return "triple-fault";
	case VM_FAILED: return "stopped by the hypervisor";
	}
	return "?";
}
