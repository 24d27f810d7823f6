/*
 * A VM's guest-physical memory: RAM in memslots backed by host pages, the
 * second-level tables built by mm/ (the TDP MMU), and copies to and from
 * guest-physical addresses for the loader, hypercalls and device models.
 */
#ifndef HV_VM_MEMORY_H
#define HV_VM_MEMORY_H

#include "types.h"

struct vm;
struct vcpu;

/* RAM of vm->ram_bytes from guest-physical 0; 0 or -1 with a message in err. */
int vm_memory_create(struct vm *vm, char *err, size_t errlen);
void vm_memory_destroy(struct vm *vm);
int vm_memory_vcpu_create(struct vcpu *vcpu);

/* When the vCPU's root is missing or obsolete, load the current one into the hardware. */
void vm_memory_load_root(struct vcpu *vcpu);

enum mem_fault {
	MEM_FAULT_RETRY,    /* mapped (or the layout changed): re-enter the guest */
	MEM_FAULT_MMIO,     /* no RAM there: emulate the access */
	MEM_FAULT_ERROR,    /* the VM cannot go on: *why says why */
};
enum mem_fault vm_memory_fault(struct vcpu *vcpu, u64 gpa, bool write, bool exec, const char **why);

/* True when all of [gpa, gpa + len) is guest RAM (and does not wrap). */
bool vm_gpa_is_ram(struct vm *vm, u64 gpa, u64 len);

/* Copy between host memory and guest RAM; false (nothing copied) unless
 * all of [gpa, gpa + len) is guest RAM (writable RAM, for a write: not a read-only slot). */
bool vm_read_gpa(struct vm *vm, u64 gpa, void *buf, u64 len);
bool vm_write_gpa(struct vm *vm, u64 gpa, const void *buf, u64 len);
/* The same with the VM as an untyped context: the readers and writers that
 * guest page walks (hv/emulate/guest_walk.h) and HC_MEMSLOT (hv/vm/hc_memslot.h) take. */
bool guest_ram_read(void *vm, u64 gpa, void *buf, u64 len);
bool guest_ram_write(void *vm, u64 gpa, const void *buf, u64 len);

/* The size in KiB of the second-level mapping of gpa in this vCPU's root
 * (4, 2048, 1048576), 0 when none is present (HC_TDP_LEVEL). */
u64 vm_memory_mapping_kib(struct vcpu *vcpu, u64 gpa);

/* True when gpa is in a read-only slot (a write there is ignored MMIO). */
bool vm_gpa_is_rom(struct vm *vm, u64 gpa);

/* HC_MEMSLOT on this VM's slots and pool (hv/vm/hc_memslot.h). */
s64 vm_memory_memslot_call(struct vm *vm, u64 ops_gpa, u64 count, u64 *bad);

/* The MMU's counters and settings into the HC_READ_STATS fields of ABI 1.1. */
struct hc_stats;
void vm_memory_stats(struct vm *vm, struct hc_stats *out);
/* The MMU counters HC_READ_STATS does not carry: split tables left, what the worker reclaimed. */
void vm_memory_print_reclaim(struct vm *vm);

/* True while a recovery thread zaps this VM's NX-split tables (hv/vm/nx_recovery.h). */
bool vm_nx_recovery_running(struct vm *vm);

#endif
