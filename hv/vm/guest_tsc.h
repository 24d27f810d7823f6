/*
 * The guest's time-stamp counter: the host's TSC rate plus a per-vCPU
 * offset the hardware adds on every RDTSC/RDTSCP (VT-x TSC offsetting, SVM
 * TSC_OFFSET), so reading it never exits. WRMSR to IA32_TSC and to
 * IA32_TSC_ADJUST behave as the SDM says (vol. 3, 18.17.3): a TSC write
 * moves TSC_ADJUST by the same amount, a TSC_ADJUST write moves the TSC.
 * On the vCPU's own thread (MSR exits).
 */
#ifndef HV_GUEST_TSC_H
#define HV_GUEST_TSC_H

#include "types.h"

struct vcpu;

u64 vcpu_guest_tsc(const struct vcpu *vcpu);
void vcpu_write_tsc(struct vcpu *vcpu, u64 value);
void vcpu_write_tsc_adjust(struct vcpu *vcpu, u64 value);

#endif
