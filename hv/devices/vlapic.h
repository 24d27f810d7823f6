/*
 * The guest's local APIC, one per vCPU (Intel SDM vol. 3, ch. 11;
 * GUEST-PLATFORM.md): xAPIC registers in the MMIO page at the APIC base
 * (IA32_APIC_BASE, relocatable), x2APIC registers as MSRs 0x800-0x8FF.
 * Interrupts are accepted into the IRR, arbitrated against the PPR and
 * moved to the ISR when the vCPU takes one (hv/vm/vcpu_intr.c); IPIs reach
 * the other vCPUs of the same VM and never a real CPU (a kick at most).
 * The timer counts at VLAPIC_BUS_HZ divided by the divide configuration.
 *
 * Locking: every vlapic field is under vm->lock; the functions below are
 * called with it held (MMIO, MSR and entry paths take it).
 */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include "types.h"

#define VLAPIC_BASE 0xfee00000ull /* power-on APIC base */
#define VLAPIC_SIZE 0x1000ull
#define VLAPIC_BUS_HZ 1000000000ull /* the timer's input clock (as QEMU and KVM): 1 count = 1 ns at divide 1 */

/* IA32_APIC_BASE bits. */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode */
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull /* MAXPHYADDR 52 at most; checked against the guest's */

/* Delivery modes (ICR, LVT, and the IOAPIC/MSI of the next devices). */
enum apic_delivery {
	APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
	APIC_DM_INIT = 5, APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7,
};

/* ESR bits (SDM 11.5.3). */
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define ESR_ILLEGAL_REGISTER (1u << 7)

enum vlapic_timer_mode { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };

struct vcpu;
struct vm;

struct vlapic {
	u64 base;            /* IA32_APIC_BASE as the guest sees it */
	u32 tpr, ldr, dfr, spiv;
	u32 esr;             /* what reads return: latched by the last ESR write */
	u32 esr_pending;     /* errors since that write */
	u32 isr[8], tmr[8], irr[8]; /* 256 bits each: bit v of word v / 32 */
	u32 lvt[7];          /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
	u32 icr_low, icr_high;
	u32 timer_initial, timer_divide;
	u64 timer_start_ns;  /* when the current count was last at timer_initial */
	u64 timer_deadline_ns; /* next expiry; 0: not armed */
	u64 tsc_deadline;    /* IA32_TSC_DEADLINE (guest TSC); 0: not armed */
	bool nmi_pending;
};

/* Power-on state (SDM 11.4.7.1): xAPIC mode at VLAPIC_BASE; the APIC ID is the vCPU index. */
void vlapic_reset(struct vcpu *vcpu);
/* An INIT: the registers as at power-on, the base and mode kept. */
void vlapic_init_signal(struct vcpu *vcpu);

/* MMIO handlers (hv/devices/mmio.h); offset from VLAPIC_BASE. Only in
 * xAPIC mode is the page the APIC (the caller checks vlapic_mmio_at). */
bool vlapic_mmio_at(const struct vcpu *vcpu, u64 gpa);
u64 vlapic_read(struct vcpu *vcpu, u64 offset, u8 size);
void vlapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value);

/* x2APIC MSRs 0x800-0x8FF; false: #GP (xAPIC mode, reserved, read-only). */
#define X2APIC_MSR_FIRST 0x800u
#define X2APIC_MSR_LAST 0x8ffu
bool vlapic_msr_read(struct vcpu *vcpu, u32 index, u64 *value);
bool vlapic_msr_write(struct vcpu *vcpu, u32 index, u64 value);

/* IA32_APIC_BASE; false: #GP (an illegal mode transition, reserved bits). */
bool vlapic_set_base(struct vcpu *vcpu, u64 value);

/*
 * An interrupt message for the APICs of `vm` (an IPI, and the IOAPIC/MSI
 * of the next devices): physical or logical destination `dest`
 * (0xFF / 0xFFFFFFFF broadcast), a delivery mode, a vector, level and
 * trigger (true: level-triggered, the EOI is reported to the hook below).
 */
void vlapic_deliver(struct vm *vm, u32 dest, bool logical, enum apic_delivery mode, u8 vector,
		    bool level_trig);
/* Called at the EOI of a level-triggered vector (unless the guest suppressed the broadcast). */
void vlapic_set_eoi_hook(void (*hook)(struct vm *vm, u8 vector));

/* True when the 8259's INTR reaches this vCPU: LINT0 unmasked in ExtINT
 * mode, or the APIC hardware-disabled (the pin then goes to the CPU). */
bool vlapic_accepts_extint(const struct vcpu *vcpu);

/* For the entry path (hv/vm/vcpu_intr.c): the highest IRR vector above
 * the PPR, or -1; then the vCPU took it (IRR -> ISR). */
int vlapic_pending_vector(const struct vcpu *vcpu);
void vlapic_accept(struct vcpu *vcpu, u8 vector);
/* MOV to/from CR8 (64-bit mode): TPR[7:4]. */
u8 vlapic_get_cr8(const struct vcpu *vcpu);
void vlapic_set_cr8(struct vcpu *vcpu, u8 cr8);

/* The timer (hv/devices/vlapic_timer.c): expiries up to now into the IRR. */
void vlapic_timer_poll(struct vcpu *vcpu, u64 now_ns);
/* When the armed timer fires next (ns, time_now_ns clock), 0 when none can. */
u64 vlapic_timer_next(const struct vcpu *vcpu);
/* IA32_TSC_DEADLINE (MSR 0x6E0). */
u64 vlapic_tsc_deadline_read(const struct vcpu *vcpu);
void vlapic_tsc_deadline_write(struct vcpu *vcpu, u64 value);

/* For vlapic_timer.c and vlapic.c only. */
void vlapic_timer_write_lvt(struct vcpu *vcpu, u32 old, u32 value);
void vlapic_timer_write_initial(struct vcpu *vcpu, u32 value);
u32 vlapic_timer_current(const struct vcpu *vcpu, u64 now_ns);
u32 vlapic_timer_divisor(u32 divide_config);
/* Raise a local interrupt into this APIC's IRR (an LVT's vector, fixed). */
void vlapic_set_irr(struct vcpu *vcpu, u8 vector, bool level_trig);
bool vlapic_irr_has(const struct vcpu *vcpu, u8 vector);

#endif
