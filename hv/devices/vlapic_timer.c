/*
 * The local APIC timer (SDM 11.5.4): one-shot, periodic and TSC-deadline.
 * Its counter runs at VLAPIC_BUS_HZ / divisor on the hypervisor's clock
 * (time_now_ns); an armed timer is a deadline the vCPU's thread sleeps
 * towards when halted (sched_block) and checks before every entry.
 *
 * Missed periodic ticks (the vCPU was descheduled, or its interrupts were
 * off for longer than a period) are coalesced, as on hardware: the IRR holds
 * one, the periods that passed meanwhile are dropped, and the next deadline
 * keeps the original phase (start + k * period), so the period never drifts.
 */
#include "hv/devices/vlapic.h"
#include "hv/vm/vm.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/time.h"
#include "hv/vm/guest_tsc.h"

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3)
#define LVT_INDEX_TIMER 1
#define NS_PER_COUNT (NSEC_PER_SEC / VLAPIC_BUS_HZ)

_Static_assert(NSEC_PER_SEC % VLAPIC_BUS_HZ == 0, "the timer clock divides 1 GHz");

static u32 timer_mode(const struct vlapic *l)
{
	return LVT_TIMER_MODE(l->lvt[LVT_INDEX_TIMER]);
}

/* Divide configuration bits 0, 1, 3: 000 -> 2, 001 -> 4, ..., 110 -> 128, 111 -> 1. */
u32 vlapic_timer_divisor(u32 dcr)
{
	u32 v = (dcr & 3) | ((dcr >> 1) & 4);
	return v == 7 ? 1 : 2u << v;
}

static u64 count_ns(const struct vlapic *l)
{
	return (u64)vlapic_timer_divisor(l->timer_divide) * NS_PER_COUNT;
}

static u64 period_ns(const struct vlapic *l)
{
	return (u64)l->timer_initial * count_ns(l);
}

static void disarm(struct vlapic *l)
{
	l->timer_deadline_ns = 0;
	l->tsc_deadline = 0;
}

void vlapic_timer_write_lvt(struct vcpu *vcpu, u32 old, u32 value)
{
	struct vlapic *l = &vcpu->lapic;

	if (LVT_TIMER_MODE(old) != LVT_TIMER_MODE(value)) {
		disarm(l); /* a mode change disarms the timer (SDM 11.5.4.1) */
		l->timer_initial = 0;
	}
}

void vlapic_timer_write_initial(struct vcpu *vcpu, u32 value)
{
	struct vlapic *l = &vcpu->lapic;
	u64 now = time_now_ns();

	if (timer_mode(l) == TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode */
	disarm(l);
	l->timer_initial = value;
	l->timer_start_ns = now;
	if (value)
		l->timer_deadline_ns = now + period_ns(l);
}

u32 vlapic_timer_current(const struct vcpu *vcpu, u64 now_ns)
{
	const struct vlapic *l = &vcpu->lapic;
	u32 mode = timer_mode(l);

	if (mode == TIMER_TSC_DEADLINE || !l->timer_initial || now_ns < l->timer_start_ns)
		return 0;
	u64 counted = (now_ns - l->timer_start_ns) / count_ns(l);
	if (mode == TIMER_PERIODIC)
		return l->timer_initial - (u32)(counted % l->timer_initial);
	if (!l->timer_deadline_ns || counted >= l->timer_initial)
		return 0; /* a one-shot that has run down stays at 0 */
	return l->timer_initial - (u32)counted;
}


/* TSC cycles to nanoseconds without overflowing 64 bits (no 128-bit division here). */
static u64 tsc_to_ns(u64 cycles)
{
	u64 hz = time_tsc_hz();
	return (cycles / hz) * NSEC_PER_SEC + (cycles % hz) * NSEC_PER_SEC / hz;
}

u64 vlapic_tsc_deadline_read(const struct vcpu *vcpu)
{
	const struct vlapic *l = &vcpu->lapic;
	return timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
}

void vlapic_tsc_deadline_write(struct vcpu *vcpu, u64 value)
{
	struct vlapic *l = &vcpu->lapic;
	u64 now = time_now_ns(), tsc = vcpu_guest_tsc(vcpu);

	if (timer_mode(l) != TIMER_TSC_DEADLINE)
		return; /* ignored in the other modes (SDM 11.5.4.1) */
	disarm(l);
	if (!value)
		return;
	l->tsc_deadline = value;
	l->timer_deadline_ns = value <= tsc ? now : now + tsc_to_ns(value - tsc);
	if (!l->timer_deadline_ns)
		l->timer_deadline_ns = 1; /* 0 means "not armed" */
}

/* A periodic timer's next deadline after `now`: the periods that passed are coalesced into one. */
static void next_period(struct vlapic *l, u64 now)
{
	u64 period = period_ns(l);
	u64 passed = (now - l->timer_deadline_ns) / period + 1;

	l->timer_deadline_ns += passed * period;
	l->timer_start_ns += passed * period;
}

void vlapic_timer_poll(struct vcpu *vcpu, u64 now)
{
	struct vlapic *l = &vcpu->lapic;
	u32 lvt = l->lvt[LVT_INDEX_TIMER];

	if (!l->timer_deadline_ns || now < l->timer_deadline_ns)
		return;
	if (timer_mode(l) == TIMER_PERIODIC) {
		next_period(l, now);
	} else {
		l->timer_deadline_ns = 0;
		l->tsc_deadline = 0;
	}
	if (!(lvt & LVT_MASKED))
		vlapic_set_irr(vcpu, (u8)lvt, false);
}

u64 vlapic_timer_next(const struct vcpu *vcpu)
{
	const struct vlapic *l = &vcpu->lapic;
	return (l->lvt[LVT_INDEX_TIMER] & LVT_MASKED) ? 0 : l->timer_deadline_ns;
}
