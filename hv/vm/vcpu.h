/*
 * A virtual CPU: the neutral state the core owns (registers, pending
 * requests, statistics) plus the backend's private state behind `vendor`.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include "types.h"
#include "hv/vm/vendor.h"
#include "hv/runner/guest_image.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/kick.h"
#include "hv/vm/vcpu_mp.h"
#include "hv/devices/vlapic.h"
#include "hv/vm/msr_pc.h"

struct vm;
struct guest_regs;

/* Requests: bits in vcpu->requests, handled before the next guest entry. */
enum vcpu_request {
	VCPU_REQ_FLUSH_TLB = 1u << 0, /* flush this vCPU's guest TLB (mm/ asked, mmp_flush_remote_tlbs) */
	VCPU_REQ_EVENT = 1u << 1,     /* an INIT or SIPI was posted (hv/vm/vcpu_mp.h) */
	VCPU_REQ_STOP = 1u << 2,      /* the VM stopped: leave the run loop */
};
/* An obsolete TDP root needs no request: the loop asks mm/ before every entry. */

/*
 * Threads: each vCPU runs on its own kernel thread, pinned to one CPU, and
 * every vendor op on it is called from that thread (hv/vm/vendor.h). Other
 * threads reach it only through requests, kicks and wake-ups.
 */
struct vcpu {
	struct vm *vm;
	u32 id;                 /* 0 = bootstrap processor; also its APIC ID (hv/devices/vlapic.h) */
	struct vcpu_regs regs;  /* the core's copy of GPRs, RIP, RFLAGS (see hv/vm/vendor.h) */
	u64 requests;           /* enum vcpu_request bits, set atomically */
	struct guest_presence presence; /* in guest mode or not, for kicks (hv/cpu/kick.h) */
	struct thread *thread;  /* runs vcpu_thread(); NULL until the VM starts */
	u64 exits;              /* this vCPU's exits (its thread alone writes it; vm_stats_update sums them) */
	u32 cpu;                /* the CPU that thread is pinned to */
	bool test_bad_entry;    /* test only (test_bad_guest_state=): the backend makes the first entry fail */

	/* under vm->lock (hv/vm/vcpu_mp.h, hv/devices/vlapic.h) */
	enum vcpu_mp_state mp_state;
	bool init_pending, sipi_pending;
	u8 sipi_vector;
	struct vlapic lapic;
	struct msr_pc_state msr_pc; /* MTRRs, machine check, counters (hv/vm/msr_pc.c) */
	u64 tsc_offset, tsc_adjust; /* guest TSC = host TSC + tsc_offset (hv/vm/guest_tsc.h); own thread only */

	/* A start state (vcpu_reset) waiting to be handed to the backend on the vCPU's thread. */
	bool start_pending;
	struct vcpu_sregs start_sregs;
	void *vendor;           /* backend state (the SVM or VT-x control structures) */
	struct guest_regs *gregs; /* register state the hardware does not switch (hv/vm/guest_switch.h) */
};

/*
 * The GDT every protected/long-mode start state points at; the loader
 * (hv/runner/loader.c) writes it into guest memory at GUEST_GDT_BASE.
 */
#define GUEST_GDT_BASE 0x1000
#define GUEST_GDT_CODE32 0x08
#define GUEST_GDT_DATA 0x10
#define GUEST_GDT_CODE64 0x18
#define GUEST_GDT_LIMIT 0x1f

/* Put the vCPU in `mode`'s start state at `entry`, all GPRs zero
 * (cr3 is used by GUEST_MODE_LONG64 only). The segment state reaches the
 * backend on the vCPU's own thread, before it next enters the guest. */
void vcpu_reset(struct vcpu *vcpu, enum guest_cpu_mode mode, u64 entry, u64 cr3);
/* The same in real mode at cs:ip (a SIPI's start). */
void vcpu_reset_real(struct vcpu *vcpu, u16 cs, u16 ip);

/* The guest executes 64-bit code (long mode and a 64-bit CS), not 16/32-bit. */
static inline bool sregs_64bit_code(const struct vcpu_sregs *s)
{
	return (s->efer & EFER_LMA) && s->seg[SEG_CS].l;
}

/* The vCPU's thread (kthread argument: the vcpu): creates its backend
 * state, runs it until the VM stops, frees that state. */
void vcpu_thread(void *vcpu);
/* Wakes its thread if it waits (halted, waiting for a SIPI). */
void vcpu_wake(struct vcpu *vcpu);

#endif
