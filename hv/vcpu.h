/*
 * A virtual CPU: the neutral state the core owns (registers, pending
 * requests, statistics) plus the backend's private state behind `vendor`.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include "types.h"
#include "hv/vendor.h"

struct vm;

/* How a vCPU starts executing (the loader picks it per image). */
enum vcpu_mode {
	VCPU_MODE_REAL16,  /* 16-bit real mode, CS:IP from the entry address */
	VCPU_MODE_PROT32,  /* 32-bit protected mode, flat segments, paging off */
	VCPU_MODE_LONG64,  /* 64-bit long mode, flat segments, paging on with a given CR3 */
};

/* Requests: bits in vcpu->requests, handled before the next guest entry. */
enum vcpu_request {
	VCPU_REQ_RELOAD_ROOT = 1u << 0, /* the TDP root is obsolete: get a new one */
	VCPU_REQ_FLUSH_TLB   = 1u << 1, /* flush this vCPU's guest TLB */
	VCPU_REQ_STOP        = 1u << 2, /* leave the run loop */
};

struct vcpu {
	struct vm *vm;
	u32 id;                 /* 0 = bootstrap processor */
	struct vcpu_regs regs;  /* the core's copy of GPRs, RIP, RFLAGS (see hv/vendor.h) */
	u64 requests;           /* enum vcpu_request bits, set atomically */
	u64 root;               /* host-physical address of the TDP root in use, 0 = none */
	void *vendor;           /* backend state (VMCB or VMCS and friends) */
	u64 exits[EXIT_KIND_COUNT]; /* exits seen, per kind */
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
 * (cr3 is used by VCPU_MODE_LONG64 only). */
void vcpu_reset(struct vcpu *vcpu, enum vcpu_mode mode, u64 entry, u64 cr3);

/* Run the vCPU until its VM stops. */
void vcpu_run(struct vcpu *vcpu);

#endif
