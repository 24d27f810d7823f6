/*
 * What the core does with each kind of exit. Handlers return true when the
 * exiting instruction is complete (the dispatcher then skips it), false
 * when they changed RIP themselves, injected a fault, or stopped the VM.
 */
#ifndef HV_EXIT_DISPATCH_H
#define HV_EXIT_DISPATCH_H

#include "types.h"
#include "hv/vm/vendor.h"
#include "hv/cpu/cpu.h"

void exit_dispatch(struct vcpu *vcpu, const struct vm_exit *exit);

/* Emulated MSR values back to their power-on state. */
void msr_vcpu_reset(struct vcpu *vcpu);

bool cpuid_exit(struct vcpu *vcpu, const struct vm_exit *exit);
bool msr_exit(struct vcpu *vcpu, const struct vm_exit *exit);
/* RDPMC: the counters of hv/vm/msr_pc.c; RIP advanced here (false: nothing left to skip). */
bool rdpmc_exit(struct vcpu *vcpu, const struct vm_exit *exit);
bool hypercall_exit(struct vcpu *vcpu);
/* An access to guest-physical `gpa` with no RAM there (`write`: the access was a write). */
void mmio_exit(struct vcpu *vcpu, u64 gpa, bool write);
/* (io_exit is in hv/devices/io.h) */

/* What a guest CPUID returns (also for tests and the hypervisor leaf). */
/* Past the exiting instruction: the backend's length, plus the prefixes at RIP when it names none. */
void skip_instruction(struct vcpu *vcpu, const struct vm_exit *exit);

void cpuid_for_guest(const struct vcpu *vcpu, u32 leaf, u32 subleaf, struct cpuid_regs *out);

/* Queue a hardware exception for the guest (delivered at the next entry). */
void inject_exception(struct vcpu *vcpu, u8 vector, bool has_error_code, u32 error_code);

#define VECTOR_UD 6
#define VECTOR_GP 13
#define VECTOR_PF 14

#endif
