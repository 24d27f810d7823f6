/*
 * A virtual machine: its vCPUs, guest memory, emulated devices, console and
 * the verdict the runner reads when it stops. Several VMs run at once; a VM
 * never outlives its run (vm_create, vm_start .. vm_join, vm_destroy in
 * hv/runner/run.c). Each vCPU runs on its own thread pinned to a CPU (hv/vm/vcpu.h).
 *
 * Locking: `lock` serializes the VM's devices, its vCPUs' multiprocessor
 * and local APIC state, and the statistics (every exit but a second-level
 * fault that maps RAM is handled under it, hv/vm/exit_dispatch.c). It is a
 * spinlock taken with interrupts on: the holder may be preempted, never
 * blocks on another vCPU of the VM.
 */
#ifndef HV_VM_H
#define HV_VM_H

#include "types.h"
#include "hypercall.h"
#include "hv/vm/vcpu.h"
#include "hv/runner/config.h"
#include "hv/devices/uart.h"
#include "hv/devices/fw_cfg.h"
#include "hv/devices/isa_irq.h"
#include "hv/devices/vpic.h"
#include "hv/devices/vioapic.h"
#include "hv/devices/pc_testdev.h"
#include "hv/devices/acpi_pm.h"
#include "hv/devices/pit.h"
#include "hv/devices/rtc.h"
#include "hv/runner/tap.h"
#include "hv/vm/guest_console.h"
#include "mm/spinlock.h"

#define VM_MAX_VCPUS 8 /* the array size; hv/runner/config.h limits what a VM may ask for */

/* How a VM ended (compared with the configuration's `expect`). */
enum vm_outcome {
	VM_RUNNING,
	VM_EXITED,       /* debug-exit port or HC_EXIT: vm->exit_status holds the value */
	VM_HALTED,       /* every vCPU halted with nothing to wake it */
	VM_TRIPLE_FAULT, /* shutdown */
	VM_TIMED_OUT,    /* still running when its time limit (timeout_ms) was up */
	VM_RESET,        /* the guest reset the machine (0xCF9, the ACPI reset register) */
	VM_FAILED,       /* stopped by the hypervisor: vm->error says why */
};

struct vm {
	const struct vm_config *cfg;
	const char *name;            /* cfg->name */
	u64 serial;                  /* 1, 2, ...: never reused, unlike the object's address */
	u64 ram_bytes;
	struct vm_memory *mem;       /* hv/vm/vm_memory.c: memslots + second-level tables */

	u32 nvcpus;
	struct vcpu vcpus[VM_MAX_VCPUS];
	struct spinlock lock;        /* see the top of this file */
	u32 vcpus_running;           /* vCPU threads that have not finished */
	struct thread *waiter;       /* woken when the last vCPU thread finishes (the runner) */

	/* devices */
	struct guest_console console;
	struct uart uart;
	struct thread *input_thread; /* feeds uart from the operator's keyboard (hv/vm/console_input.h) */
	struct fw_cfg fw_cfg;
	u32 pci_addr;                /* 0xCF8 latch */
	u64 testdev_scratch;         /* MMIO test device (include/hypercall.h) */
	u8 testdev_byte;
	struct isa_irq isa_irq;      /* hv/devices/isa_irq.h */
	struct vpic pic;             /* the 8259 pair (hv/devices/vpic.h) */
	struct vioapic ioapic;       /* hv/devices/vioapic.h */
	struct pc_testdev pc_testdev; /* QEMU's ISA test device (hv/devices/pc_testdev.h) */
	struct acpi_pm acpi_pm;      /* hv/devices/acpi_pm.h */
	struct pit pit;              /* hv/devices/pit.h */
	struct rtc rtc;              /* hv/devices/rtc.h */

	/* verdict: written once, by whoever claims `stopping` first (vm_stop, vm_fail) */
	u32 stopping;
	enum vm_outcome outcome;
	u32 exit_status;
	char error[160];
	struct tap tap;
	struct hc_stats stats;
	u64 flush_kicks;             /* remote TLB flushes that kicked a vCPU out of guest mode */
};

/* Once at boot: connects the VM code to mm/ (remote TLB flushes). */
void vm_init(void);

struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen);
void vm_destroy(struct vm *vm);
/* Starts a thread per vCPU, on CPUs taken in turn; `waiter` is woken when
 * they have all finished. False (and the VM stopped as failed) when a
 * thread could not be made: vm_join still cleans up. */
bool vm_start(struct vm *vm, struct thread *waiter);
/* Every vCPU thread has finished (the VM stopped). */
bool vm_finished(struct vm *vm);
/* Waits for the vCPU threads and frees them; after vm_start, before vm_destroy. */
void vm_join(struct vm *vm);
/* Called by each vCPU thread as its last step. */
void vm_vcpu_done(struct vm *vm);

static inline bool vm_stopped(struct vm *vm)
{
	return __atomic_load_n(&vm->outcome, __ATOMIC_ACQUIRE) != VM_RUNNING;
}

/* End the VM with an outcome; the first reason to stop wins. Every vCPU
 * leaves guest mode (kicked) and its thread finishes. Any thread. */
void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 exit_status);
/* Stop the VM as failed with a message (printed with the VM's name) and a dump of `vcpu`. */
void vm_fail(struct vcpu *vcpu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same for a device model, which has no vCPU to show: the message only. */
void vm_fail_device(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *vm_outcome_name(enum vm_outcome outcome);

/* Brings vm->stats up to date: the derived counters (exits, summed over the
 * vCPUs) and the MMU's (hv/vm/vm_memory.c). Before reading or handing them out. */
void vm_stats_update(struct vm *vm);

#endif
