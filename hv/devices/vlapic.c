/* The guest's local APIC registers (hv/devices/vlapic.h); offsets and reset values from the SDM, vol. 3, 11.4-11.12. */
#include "hv/devices/vlapic.h"
#include "hv/vm/vcpu_mp.h"
#include "hv/vm/vm.h"
#include "hv/cpu/time.h"

#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_APR 0x090
#define APIC_PPR 0x0a0
#define APIC_EOI 0x0b0
#define APIC_RRD 0x0c0
#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0
#define APIC_SPIV 0x0f0
#define APIC_ISR0 0x100
#define APIC_TMR0 0x180
#define APIC_IRR0 0x200
#define APIC_ESR 0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320 /* then thermal, perf, LINT0, LINT1, error every 0x10 */
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0
#define APIC_SELF_IPI 0x3f0 /* x2APIC only (MSR 0x83F) */

/* Version 0x14 (integrated APIC), max LVT entry 6 (7 entries), EOI-broadcast suppression. */
#define APIC_VERSION_VALUE (0x14u | (6u << 16) | (1u << 24))
#define SPIV_ENABLE (1u << 8)
#define SPIV_SUPPRESS_EOI_BROADCAST (1u << 12)
#define SPIV_WRITABLE 0x11ffu
#define LVT_MASKED (1u << 16)
#define LVT_LEVEL (1u << 15)
#define LVT_INDEX_TIMER 1
#define LVT_INDEX_LINT0 4
#define LVT_INDEX_ERROR 6
#define LVT_DELIVERY(lvt) (((lvt) >> 8) & 7)

/* Writable LVT bits per entry: vector, delivery mode, polarity, trigger, mask, timer mode. */
static const u32 lvt_writable[7] = {
	0x000107ffu, 0x000700ffu, 0x000107ffu, 0x000107ffu, 0x0001a7ffu, 0x0001a7ffu, 0x000100ffu,
};

#define ICR_VECTOR(v) ((u8)((v) & 0xff))
#define ICR_MODE(v) (((v) >> 8) & 7)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3)
#define ICR_WRITABLE 0x000ccfffu /* vector, mode, dest mode, level, trigger, shorthand */
#define SHORTHAND_NONE 0
#define SHORTHAND_SELF 1
#define SHORTHAND_ALL 2
#define SHORTHAND_ALL_BUT_SELF 3

static void (*eoi_hook)(struct vm *vm, u8 vector);

void vlapic_set_eoi_hook(void (*hook)(struct vm *vm, u8 vector))
{
	eoi_hook = hook;
}

static bool x2apic(const struct vlapic *l)
{
	return l->base & APIC_BASE_EXTD;
}

static bool hw_enabled(const struct vlapic *l)
{
	return l->base & APIC_BASE_ENABLE;
}

static bool sw_enabled(const struct vlapic *l)
{
	return hw_enabled(l) && (l->spiv & SPIV_ENABLE);
}

bool vlapic_accepts_extint(const struct vcpu *vcpu)
{
	const struct vlapic *l = &vcpu->lapic;
	u32 lint0 = l->lvt[LVT_INDEX_LINT0];
	/* A hardware-disabled APIC passes LINT0 straight to the CPU as INTR (as QEMU). */
	return !hw_enabled(l) || (!(lint0 & LVT_MASKED) && LVT_DELIVERY(lint0) == APIC_DM_EXTINT);
}

/* Registers back to their reset values; the base (mode) is the caller's. */
static void reset_registers(struct vlapic *l)
{
	u64 base = l->base;

	*l = (struct vlapic){ .base = base, .dfr = 0xffffffffu, .spiv = 0xff };
	for (u32 i = 0; i < ARRAY_SIZE(l->lvt); i++)
		l->lvt[i] = LVT_MASKED;
}

static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

void vlapic_reset(struct vcpu *vcpu)
{
	vcpu->lapic.base = VLAPIC_BASE | APIC_BASE_ENABLE | (vcpu->id == 0 ? APIC_BASE_BSP : 0);
	reset_registers(&vcpu->lapic);
}

void vlapic_init_signal(struct vcpu *vcpu)
{
	struct vlapic *l = &vcpu->lapic;

	reset_registers(l); /* INIT keeps IA32_APIC_BASE, so the mode (SDM 11.12.5.1) */
	if (x2apic(l))
		l->ldr = x2apic_ldr(vcpu->id);
}

/* ---- the 256-bit registers ---- */

static bool bit_test(const u32 *r, u8 v) { return r[v / 32] & (1u << (v % 32)); }
static void bit_set(u32 *r, u8 v) { r[v / 32] |= 1u << (v % 32); }
static void bit_clear(u32 *r, u8 v) { r[v / 32] &= ~(1u << (v % 32)); }

/* The highest set bit, or -1. */
static int highest(const u32 *r)
{
	for (int w = 7; w >= 0; w--)
		if (r[w])
			return w * 32 + 31 - __builtin_clz(r[w]);
	return -1;
}

static u32 ppr(const struct vlapic *l)
{
	int isrv = highest(l->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;
	return (l->tpr & 0xf0) >= isr_class ? l->tpr : isr_class;
}

int vlapic_pending_vector(const struct vcpu *vcpu)
{
	const struct vlapic *l = &vcpu->lapic;
	int v = highest(l->irr);

	if (v < 0 || !hw_enabled(l) || ((u32)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

bool vlapic_irr_has(const struct vcpu *vcpu, u8 vector)
{
	return bit_test(vcpu->lapic.irr, vector);
}

void vlapic_accept(struct vcpu *vcpu, u8 vector)
{
	bit_clear(vcpu->lapic.irr, vector);
	bit_set(vcpu->lapic.isr, vector);
}

u8 vlapic_get_cr8(const struct vcpu *vcpu)
{
	return (u8)(vcpu->lapic.tpr >> 4);
}

void vlapic_set_cr8(struct vcpu *vcpu, u8 cr8)
{
	vcpu->lapic.tpr = (u32)(cr8 & 0xf) << 4;
}

static void eoi(struct vcpu *vcpu)
{
	struct vlapic *l = &vcpu->lapic;
	int v = highest(l->isr);

	if (v < 0)
		return; /* nothing in service: no effect */
	bit_clear(l->isr, (u8)v);
	if (bit_test(l->tmr, (u8)v) && !(l->spiv & SPIV_SUPPRESS_EOI_BROADCAST) && eoi_hook)
		eoi_hook(vcpu->vm, (u8)v);
}

/* An error (SDM 11.5.3): recorded for the next ESR write, and the LVT error interrupt when unmasked. */
static void set_error(struct vcpu *vcpu, u32 bit)
{
	struct vlapic *l = &vcpu->lapic;
	u32 lvt = l->lvt[LVT_INDEX_ERROR];

	if (l->esr_pending & bit)
		return;
	l->esr_pending |= bit;
	if (!(lvt & LVT_MASKED))
		vlapic_set_irr(vcpu, (u8)lvt, false);
}

void vlapic_set_irr(struct vcpu *vcpu, u8 vector, bool level_trig)
{
	struct vlapic *l = &vcpu->lapic;

	if (vector < 16) {
		set_error(vcpu, ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	if (!sw_enabled(l))
		return; /* a software-disabled APIC accepts no fixed interrupts (as KVM) */
	bit_set(l->irr, vector);
	if (level_trig)
		bit_set(l->tmr, vector);
	else
		bit_clear(l->tmr, vector);
	vcpu_mp_notify(vcpu);
}

/* One APIC accepts a message (SDM 11.6.1). */
static void accept_message(struct vcpu *t, enum apic_delivery mode, u8 vector, bool level_trig)
{
	if (!hw_enabled(&t->lapic) && mode != APIC_DM_INIT && mode != APIC_DM_STARTUP)
		return; /* a hardware-disabled APIC takes nothing but INIT/SIPI (and we send it those) */
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		vlapic_set_irr(t, vector, level_trig);
		return;
	case APIC_DM_NMI:
		t->lapic.nmi_pending = true;
		vcpu_mp_notify(t);
		return;
	case APIC_DM_INIT:
		vcpu_send_init(t);
		return;
	case APIC_DM_STARTUP:
		vcpu_send_sipi(t, vector);
		return;
	case APIC_DM_SMI: /* no SMM in our guests: ignored */
	case APIC_DM_EXTINT:
	default:
		return;
	}
}

/* Logical destination match (SDM 11.6.2.2): flat or cluster model, x2APIC cluster. */
static bool logical_match(const struct vlapic *l, u32 dest)
{
	if (x2apic(l))
		return (dest >> 16) == (l->ldr >> 16) && (dest & l->ldr & 0xffff);
	u8 ldr = (u8)(l->ldr >> 24), d = (u8)dest;
	if ((l->dfr >> 28) == 0xf)
		return d & ldr; /* flat */
	return (d >> 4) == (ldr >> 4) && (d & ldr & 0xf); /* cluster */
}

static bool dest_match(const struct vcpu *t, u32 dest, bool logical)
{
	const struct vlapic *l = &t->lapic;
	u32 bcast = x2apic(l) ? 0xffffffffu : 0xffu;

	if (!x2apic(l))
		dest &= 0xff;
	if (dest == bcast)
		return true;
	return logical ? logical_match(l, dest) : dest == t->id;
}

void vlapic_deliver(struct vm *vm, u32 dest, bool logical, enum apic_delivery mode, u8 vector,
		    bool level_trig)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];
		if (!dest_match(t, dest, logical))
			continue;
		accept_message(t, mode, vector, level_trig);
		if (mode == APIC_DM_LOWEST)
			return; /* one target is allowed: the first that matches */
	}
}

/* An IPI as the ICR describes it (SDM 11.6.1); never to a real CPU. */
static void send_ipi(struct vcpu *self, u32 icr, u32 dest)
{
	struct vm *vm = self->vm;
	u32 mode = ICR_MODE(icr), shorthand = ICR_SHORTHAND(icr);
	u8 vector = ICR_VECTOR(icr);

	if (mode == APIC_DM_INIT && !(icr & ICR_ASSERT) && (icr & ICR_LEVEL))
		return; /* INIT level de-assert: only old APICs used it (arbitration IDs) */
	if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
		set_error(self, ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (mode == 3 || mode == APIC_DM_EXTINT)
		return; /* reserved delivery modes for an IPI: nothing is sent */
	bool level = (icr & ICR_LEVEL) && mode == APIC_DM_FIXED;
	switch (shorthand) {
	case SHORTHAND_NONE:
		vlapic_deliver(vm, dest, icr & ICR_LOGICAL, mode, vector, level);
		return;
	case SHORTHAND_SELF:
		accept_message(self, mode, vector, level);
		return;
	default:
		for (u32 i = 0; i < vm->nvcpus; i++)
			if (shorthand == SHORTHAND_ALL || &vm->vcpus[i] != self)
				accept_message(&vm->vcpus[i], mode, vector, level);
	}
}

/* ---- register access, common to both modes ---- */

enum reg_result { REG_OK, REG_RESERVED, REG_READ_ONLY };

static u32 *lvt_reg(struct vlapic *l, u32 offset)
{
	if (offset == APIC_LVT_CMCI)
		return &l->lvt[0];
	if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR)
		return &l->lvt[1 + (offset - APIC_LVT_TIMER) / 0x10];
	return NULL;
}

static enum reg_result reg_read(struct vcpu *vcpu, u32 offset, u32 *out)
{
	struct vlapic *l = &vcpu->lapic;
	u32 *lvt = lvt_reg(l, offset);

	if (lvt) {
		*out = *lvt;
		return REG_OK;
	}
	if (offset >= APIC_ISR0 && offset < APIC_ESR) {
		u32 *regs = offset < APIC_TMR0 ? l->isr : offset < APIC_IRR0 ? l->tmr : l->irr;
		*out = regs[(offset / 0x10) & 7];
		return REG_OK;
	}
	switch (offset) {
	case APIC_ID: *out = x2apic(l) ? vcpu->id : vcpu->id << 24; return REG_OK;
	case APIC_VERSION: *out = APIC_VERSION_VALUE; return REG_OK;
	case APIC_TPR: *out = l->tpr; return REG_OK;
	case APIC_APR: *out = 0; return REG_OK; /* arbitration priority: only for old APICs' bus arbitration */
	case APIC_PPR: *out = ppr(l); return REG_OK;
	case APIC_LDR: *out = l->ldr; return REG_OK;
	case APIC_DFR: *out = l->dfr; return x2apic(l) ? REG_RESERVED : REG_OK;
	case APIC_SPIV: *out = l->spiv; return REG_OK;
	case APIC_ESR: *out = l->esr; return REG_OK;
	case APIC_ICR_LOW: *out = l->icr_low; return REG_OK; /* delivery status 0: sent at once */
	case APIC_ICR_HIGH: *out = l->icr_high; return x2apic(l) ? REG_RESERVED : REG_OK;
	case APIC_TIMER_INITIAL: *out = l->timer_initial; return REG_OK;
	case APIC_TIMER_CURRENT: *out = vlapic_timer_current(vcpu, time_now_ns()); return REG_OK;
	case APIC_TIMER_DIVIDE: *out = l->timer_divide; return REG_OK;
	case APIC_EOI: case APIC_RRD: case APIC_SELF_IPI:
		*out = 0;
		return x2apic(l) ? REG_RESERVED : REG_OK; /* write-only, or absent */
	}
	*out = 0;
	return REG_RESERVED;
}

static void write_lvt(struct vcpu *vcpu, u32 *lvt, u32 v)
{
	struct vlapic *l = &vcpu->lapic;
	u32 index = (u32)(lvt - l->lvt), old = *lvt;

	v &= lvt_writable[index];
	if (!(l->spiv & SPIV_ENABLE))
		v |= LVT_MASKED; /* a software-disabled APIC keeps every LVT masked */
	*lvt = v;
	if (index == LVT_INDEX_TIMER)
		vlapic_timer_write_lvt(vcpu, old, v);
}

static void write_spiv(struct vcpu *vcpu, u32 v)
{
	struct vlapic *l = &vcpu->lapic;

	l->spiv = v & SPIV_WRITABLE;
	if (!(v & SPIV_ENABLE)) {
		for (u32 i = 0; i < ARRAY_SIZE(l->lvt); i++)
			l->lvt[i] |= LVT_MASKED;
	}
}

static void write_esr(struct vlapic *l)
{
	l->esr = l->esr_pending;
	l->esr_pending = 0;
}

static enum reg_result reg_write(struct vcpu *vcpu, u32 offset, u32 v)
{
	struct vlapic *l = &vcpu->lapic;
	u32 *lvt = lvt_reg(l, offset);

	if (lvt) {
		write_lvt(vcpu, lvt, v);
		return REG_OK;
	}
	switch (offset) {
	case APIC_TPR: l->tpr = v & 0xff; return REG_OK;
	case APIC_EOI: eoi(vcpu); return REG_OK;
	case APIC_SPIV: write_spiv(vcpu, v); return REG_OK;
	case APIC_ESR: write_esr(l); return REG_OK;
	case APIC_TIMER_INITIAL: vlapic_timer_write_initial(vcpu, v); return REG_OK;
	case APIC_TIMER_DIVIDE: l->timer_divide = v & 0xb; return REG_OK;
	}
	if (x2apic(l)) {
		if (offset == APIC_SELF_IPI) {
			send_ipi(vcpu, (v & 0xff) | (SHORTHAND_SELF << 18), 0);
			return REG_OK;
		}
		bool exists = offset == APIC_ID || offset == APIC_VERSION || offset == APIC_PPR ||
			      offset == APIC_LDR || offset == APIC_TIMER_CURRENT ||
			      (offset >= APIC_ISR0 && offset < APIC_ESR);
		return exists ? REG_READ_ONLY : REG_RESERVED;
	}
	switch (offset) {
	case APIC_LDR: l->ldr = v & 0xff000000u; return REG_OK;
	case APIC_DFR: l->dfr = v | 0x0fffffffu; return REG_OK;
	case APIC_ICR_HIGH: l->icr_high = v & 0xff000000u; return REG_OK;
	case APIC_ICR_LOW:
		l->icr_low = v & ICR_WRITABLE;
		send_ipi(vcpu, l->icr_low, l->icr_high >> 24);
		return REG_OK;
	case APIC_ID: case APIC_VERSION: case APIC_APR: case APIC_PPR: case APIC_RRD: case APIC_TIMER_CURRENT:
		return REG_READ_ONLY; /* xAPIC: the write is ignored */
	}
	if (offset >= APIC_ISR0 && offset < APIC_ESR)
		return REG_READ_ONLY;
	return REG_RESERVED;
}

/* ---- xAPIC: the MMIO page ---- */

bool vlapic_mmio_at(const struct vcpu *vcpu, u64 gpa)
{
	const struct vlapic *l = &vcpu->lapic;
	u64 base = l->base & APIC_BASE_ADDR_MASK;

	return hw_enabled(l) && !x2apic(l) && gpa >= base && gpa - base < VLAPIC_SIZE;
}

/* Registers are 32 bits wide on 16-byte boundaries, accessed whole (SDM 11.4.1). */
static bool bad_access(struct vcpu *vcpu, u64 offset, u8 size)
{
	if (size == 4 && !(offset & 0xf))
		return false;
	vm_fail(vcpu, "local APIC: %u-byte access at offset 0x%lx (registers take aligned 4-byte accesses)",
		size, offset);
	return true;
}

u64 vlapic_read(struct vcpu *vcpu, u64 offset, u8 size)
{
	u32 v;

	if (bad_access(vcpu, offset, size))
		return 0;
	if (reg_read(vcpu, (u32)offset, &v) == REG_RESERVED)
		set_error(vcpu, ESR_ILLEGAL_REGISTER); /* and reads 0, as QEMU */
	return v;
}

void vlapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	if (bad_access(vcpu, offset, size))
		return;
	if (reg_write(vcpu, (u32)offset, (u32)value) == REG_RESERVED)
		set_error(vcpu, ESR_ILLEGAL_REGISTER);
}

/* ---- x2APIC: the MSRs ---- */

bool vlapic_msr_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	struct vlapic *l = &vcpu->lapic;
	u32 offset = (index - X2APIC_MSR_FIRST) << 4, v;

	if (!x2apic(l) || reg_read(vcpu, offset, &v) != REG_OK)
		return false;
	*value = v;
	if (offset == APIC_ICR_LOW)
		*value |= (u64)l->icr_high << 32;
	return true;
}

bool vlapic_msr_write(struct vcpu *vcpu, u32 index, u64 value)
{
	struct vlapic *l = &vcpu->lapic;
	u32 offset = (index - X2APIC_MSR_FIRST) << 4;

	if (!x2apic(l))
		return false;
	if (offset == APIC_ICR_LOW) {
		if (value & ~(((u64)0xffffffffu << 32) | ICR_WRITABLE))
			return false;
		l->icr_low = (u32)value;
		l->icr_high = (u32)(value >> 32);
		send_ipi(vcpu, l->icr_low, l->icr_high);
		return true;
	}
	if (value >> 32)
		return false; /* reserved bits of a 32-bit register */
	if ((offset == APIC_EOI || offset == APIC_ESR) && value)
		return false; /* x2APIC: these take only 0 */
	if (offset == APIC_SELF_IPI && (value >> 8))
		return false;
	return reg_write(vcpu, offset, (u32)value) == REG_OK;
}

/* ---- IA32_APIC_BASE: the mode (SDM 11.12.5, figure 11-27) ---- */

bool vlapic_set_base(struct vcpu *vcpu, u64 value)
{
	struct vlapic *l = &vcpu->lapic;
	u64 fixed = APIC_BASE_BSP;
	u64 old_mode = l->base & (APIC_BASE_ENABLE | APIC_BASE_EXTD);
	u64 new_mode = value & (APIC_BASE_ENABLE | APIC_BASE_EXTD);

	if ((value & ~(APIC_BASE_ADDR_MASK | APIC_BASE_ENABLE | APIC_BASE_EXTD | fixed)) ||
	    (value & fixed) != (l->base & fixed))
		return false; /* reserved bits, or BSP flipped */
	if (new_mode == APIC_BASE_EXTD)
		return false; /* x2APIC bit without enable: invalid */
	if (old_mode == (APIC_BASE_ENABLE | APIC_BASE_EXTD) && new_mode == APIC_BASE_ENABLE)
		return false; /* x2APIC -> xAPIC must go through disabled */
	if (old_mode == 0 && new_mode == (APIC_BASE_ENABLE | APIC_BASE_EXTD))
		return false; /* disabled -> x2APIC must go through xAPIC */
	l->base = value;
	if (!new_mode) {
		reset_registers(l); /* disabling resets the APIC (the ID stays) */
	} else if (new_mode != old_mode && (value & APIC_BASE_EXTD)) {
		l->ldr = x2apic_ldr(vcpu->id); /* entering x2APIC mode: the LDR is derived */
	}
	return true;
}
