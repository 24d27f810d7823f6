/*
 * A virtual CPU: the neutral state the core owns (registers, pending
 * requests, statistics) plus the backend's private state behind `vendor`.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include "types.h"
#include "hv/vendor.h"
#include "hv/guest_image.h"
#include "hv/cpu.h"
#include "hv/kick.h"

struct vm;

/* Requests: bits in vcpu->requests, handled before the next guest entry. */
enum vcpu_request {
	VCPU_REQ_FLUSH_TLB = 1u << 0, /* flush this vCPU's guest TLB (mm/ asked, mmp_flush_remote_tlbs) */
};
/* An obsolete TDP root needs no request: the loop asks mm/ before every entry. */

struct vcpu {
	struct vm *vm;
	u32 id;                 /* 0 = bootstrap processor */
	struct vcpu_regs regs;  /* the core's copy of GPRs, RIP, RFLAGS (see hv/vendor.h) */
	u64 requests;           /* enum vcpu_request bits, set atomically */
	struct guest_presence presence; /* in guest mode or not, for kicks (hv/kick.h) */
	u64 apic_base;          /* IA32_APIC_BASE as the guest sees it (hv/msr.c) */
	void *vendor;           /* backend state (the SVM or VT-x control structures) */
};

/*
 * The GDT every protected/long-mode start state points at; the loader
 * (hv/loader.c) writes it into guest memory at GUEST_GDT_BASE.
 */
#define GUEST_GDT_BASE 0x1000
#define GUEST_GDT_CODE32 0x08
#define GUEST_GDT_DATA 0x10
#define GUEST_GDT_CODE64 0x18
#define GUEST_GDT_LIMIT 0x1f

/* Put the vCPU in `mode`'s start state at `entry`, all GPRs zero
 * (cr3 is used by GUEST_MODE_LONG64 only). */
void vcpu_reset(struct vcpu *vcpu, enum guest_cpu_mode mode, u64 entry, u64 cr3);

/* The guest executes 64-bit code (long mode and a 64-bit CS), not 16/32-bit. */
static inline bool sregs_64bit_code(const struct vcpu_sregs *s)
{
	return (s->efer & EFER_LMA) && s->seg[SEG_CS].l;
}

/* Run the vCPU until its VM stops. */
void vcpu_run(struct vcpu *vcpu);

#endif
