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

#endif
