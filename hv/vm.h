/*
 * A virtual machine: its vCPUs, guest memory, emulated devices, console and
 * the verdict the runner reads when it stops. VMs run one after another;
 * a VM never outlives its run (vm_create .. vm_destroy in hv/run.c).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include "types.h"
#include "hypercall.h"
#include "hv/vcpu.h"
#include "hv/config.h"
#include "hv/uart.h"
#include "hv/fw_cfg.h"
#include "hv/tap.h"
#include "hv/guest_console.h"

#define VM_MAX_VCPUS 8 /* the array size; hv/config.h limits what a VM may ask for */

/* How a VM ended (compared with the configuration's `expect`). */
enum vm_outcome {
	VM_RUNNING,
	VM_EXITED,       /* debug-exit port or HC_EXIT: vm->exit_status holds the value */
	VM_HALTED,       /* every vCPU halted with nothing to wake it */
	VM_TRIPLE_FAULT, /* shutdown */
	VM_FAILED,       /* stopped by the hypervisor: vm->error says why */
};

struct vm {
	const struct vm_config *cfg;
	const char *name;            /* cfg->name */
	u64 ram_bytes;
	struct vm_memory *mem;       /* hv/vm_memory.c: memslots + second-level tables */

	u32 nvcpus;
	struct vcpu vcpus[VM_MAX_VCPUS];

	/* devices */
	struct guest_console console;
	struct uart uart;
	struct fw_cfg fw_cfg;
	u8 pic_mask[2];              /* 0x21, 0xA1 */
	u32 pci_addr;                /* 0xCF8 latch */
	u64 testdev_scratch;         /* MMIO test device (include/hypercall.h) */
	u8 testdev_byte;

	/* verdict */
	enum vm_outcome outcome;
	u32 exit_status;
	char error[160];
	struct tap tap;
	struct hc_stats stats;
};

/* Once at boot: connects the VM code to mm/ (remote TLB flushes). */
void vm_init(void);

struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen);
void vm_destroy(struct vm *vm);
/* Run every vCPU (one after another for now) until the VM stops. */
void vm_run(struct vm *vm);

/* End the VM with an outcome; the first reason to stop wins. */
void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 exit_status);
/* Stop the VM as failed with a message (printed with the VM's name) and a dump of `vcpu`. */
void vm_fail(struct vcpu *vcpu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *vm_outcome_name(enum vm_outcome outcome);

#endif
