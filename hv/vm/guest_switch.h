/*
 * Guest register state the virtualization hardware does not switch:
 * x87/SSE/AVX (XSAVE, or FXSAVE without it), XCR0, DR0-DR3, DR6 and
 * TSC_AUX. Each vCPU owns a copy; a CPU holds the live state of one vCPU
 * at a time (its "owner", this_cpu()->guest_owner). The hypervisor itself
 * never touches these registers (-mgeneral-regs-only, no debug registers,
 * no RDTSCP), so the switch is lazy: only when a CPU enters a vCPU other
 * than its owner is the owner's state saved and the new one's loaded.
 * When that vCPU belongs to another VM the CPU also applies the
 * vm_switch_flush policy (IBPB; `full` adds VERW and an L1D flush).
 */
#ifndef HV_GUEST_SWITCH_H
#define HV_GUEST_SWITCH_H

#include "types.h"

struct vcpu;
struct vm_exit;

enum vm_switch_flush { VM_SWITCH_FLUSH_NONE, VM_SWITCH_FLUSH_IBPB, VM_SWITCH_FLUSH_FULL };

/* Once on the boot CPU, before the APs start (they copy its CR0/CR4):
 * enables FXSAVE/XSAVE for the host and sizes the per-vCPU area. */
void guest_switch_init(void);

/* On the vCPU's own thread: its copy at power-on state (FCW 0x37F, MXCSR
 * 0x1F80, XCR0 = x87, debug registers and TSC_AUX 0); false: out of memory. */
bool guest_switch_vcpu_create(struct vcpu *vcpu);
void guest_switch_vcpu_destroy(struct vcpu *vcpu);

/* Interrupts off, right before entering the guest: make this CPU hold the vCPU's state. */
void guest_switch_in(struct vcpu *vcpu);

/* XSETBV exit: #GP(0) for a value the CPU would refuse (hv/vm/xcr0.h), else the new XCR0. */
bool xsetbv_exit(struct vcpu *vcpu, const struct vm_exit *exit);

/* The XCR0 components guests may enable, 0 without XSAVE (CPUID leaf 0xD shows them). */
u64 guest_xcr0_supported(void);
/* The vCPU's XCR0 as its last XSETBV left it (CPUID leaf 0xD's EBX follows it). */
u64 guest_xcr0(const struct vcpu *vcpu);

/* TSC_AUX as the guest's RDTSCP/RDMSR sees it (MSR exits, hv/vm/msr.c); it exists when the CPU has RDTSCP. */
bool guest_has_tsc_aux(void);
u64 guest_tsc_aux(struct vcpu *vcpu);
void guest_set_tsc_aux(struct vcpu *vcpu, u64 value);

#endif
