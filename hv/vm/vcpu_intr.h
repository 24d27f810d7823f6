/*
 * Interrupts and NMIs into the guest: before every entry the vCPU's thread
 * polls its APIC timer, wakes from HLT when something can wake it, and
 * injects the highest pending interrupt above the PPR (or an NMI) when the
 * guest can take it at that instruction boundary; otherwise it asks the
 * backend for an interrupt or NMI window, so the event arrives at the
 * first boundary where it can (hv/vm/vendor.h). All under vm->lock.
 */
#ifndef HV_VCPU_INTR_H
#define HV_VCPU_INTR_H

#include "types.h"
#include "hv/vm/vendor.h"

struct vcpu;

/* Before an entry. False: the vCPU may not run now (halted, waiting for a
 * SIPI). *timer_ns: when its APIC timer fires next, if that can matter
 * (0: not armed, masked, or halted with IF=0): the guest's deadline while
 * it runs, its wake-up while it sleeps. */
bool vcpu_intr_prepare(struct vcpu *vcpu, u64 *timer_ns);
/* HLT would return at once: an NMI, or an interrupt the guest takes now (IF=1). */
bool vcpu_intr_wakes_hlt(const struct vcpu *vcpu);
/* A halted vCPU's own timer can still wake it (IF=1, an unmasked timer armed). */
bool vcpu_intr_timer_can_wake(const struct vcpu *vcpu);

/* MOV to/from CR8 (EXIT_KIND_CR8): the TPR. Advances RIP itself; false when the VM stopped or a #GP was queued. */
bool cr8_exit(struct vcpu *vcpu, const struct vm_exit *exit);

#endif
