/* The guest's xAPIC register page (hv/devices/vlapic.h); offsets from the Intel SDM, vol. 3, 11.4.1. */
#include "hv/devices/vlapic.h"
#include "hv/vm/vcpu_mp.h"
#include "hv/vm/vm.h"

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
#define APIC_ISR0 0x100 /* ISR, TMR, IRR: 8 registers each, up to 0x270 */
#define APIC_IRR7 0x270
#define APIC_ESR 0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320 /* then thermal, perf, LINT0, LINT1, error every 0x10 */
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0

#define APIC_VERSION_VALUE 0x00060014u /* version 0x14 (integrated), 7 LVT entries */
#define LVT_MASKED (1u << 16)

#define ICR_VECTOR(v) ((v) & 0xff)
#define ICR_MODE(v) (((v) >> 8) & 7)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3)
#define ICR_WRITABLE 0x000cdfffu /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_MODE_INIT 5
#define ICR_MODE_STARTUP 6
#define SHORTHAND_NONE 0
#define SHORTHAND_SELF 1
#define SHORTHAND_ALL 2
#define SHORTHAND_ALL_BUT_SELF 3
#define DEST_BROADCAST 0xff

void vlapic_reset(struct vcpu *vcpu)
{
	struct vlapic *l = &vcpu->lapic;

	*l = (struct vlapic){ .dfr = 0xffffffffu, .spiv = 0xff };
	for (u32 i = 0; i < ARRAY_SIZE(l->lvt); i++)
		l->lvt[i] = LVT_MASKED;
}

/* The LVT entry at `offset`, or NULL. */
static u32 *lvt_reg(struct vlapic *l, u64 offset)
{
	if (offset == APIC_LVT_CMCI)
		return &l->lvt[0];
	if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR)
		return &l->lvt[1 + (offset - APIC_LVT_TIMER) / 0x10];
	return NULL;
}

/* Registers are 32 bits wide on 16-byte boundaries, accessed whole. */
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
	struct vlapic *l = &vcpu->lapic;
	u32 *lvt = lvt_reg(l, offset);

	if (bad_access(vcpu, offset, size))
		return 0;
	if (lvt)
		return *lvt;
	switch (offset) {
	case APIC_ID: return (u64)vcpu->id << 24;
	case APIC_VERSION: return APIC_VERSION_VALUE;
	case APIC_TPR: return l->tpr;
	case APIC_PPR: return l->tpr & 0xf0; /* nothing is ever in service */
	case APIC_LDR: return l->ldr;
	case APIC_DFR: return l->dfr;
	case APIC_SPIV: return l->spiv;
	case APIC_ESR: return l->esr;
	case APIC_ICR_LOW: return l->icr_low; /* delivery status 0: sent at once */
	case APIC_ICR_HIGH: return l->icr_high;
	case APIC_TIMER_DIVIDE: return l->timer_divide;
	case APIC_APR: case APIC_EOI: case APIC_RRD: case APIC_TIMER_INITIAL: case APIC_TIMER_CURRENT:
		return 0;
	}
	if (offset >= APIC_ISR0 && offset <= APIC_IRR7)
		return 0; /* no interrupt is ever in service, pending or level-triggered */
	vm_fail(vcpu, "local APIC: read of offset 0x%lx, which is no register", offset);
	return 0;
}

/* Sends the INIT or start-up IPI the ICR describes to the vCPUs it names (never to `self`). */
static void send_ipi(struct vcpu *self, u32 icr, u8 dest)
{
	struct vm *vm = self->vm;
	u32 mode = ICR_MODE(icr), shorthand = ICR_SHORTHAND(icr);

	if (mode == ICR_MODE_INIT && !(icr & ICR_ASSERT))
		return; /* INIT level de-assert: only old APICs used it (arbitration IDs) */
	if (mode != ICR_MODE_INIT && mode != ICR_MODE_STARTUP) {
		vm_fail(self, "local APIC: IPI delivery mode %u is not emulated (only INIT and start-up are)", mode);
		return;
	}
	if (shorthand == SHORTHAND_SELF || (shorthand == SHORTHAND_NONE && dest == self->id) ||
	    shorthand == SHORTHAND_ALL) {
		vm_fail(self, "local APIC: INIT or start-up IPI to the sending vCPU itself is not emulated");
		return;
	}
	if (shorthand == SHORTHAND_NONE && (icr & ICR_LOGICAL) && dest != DEST_BROADCAST) {
		vm_fail(self, "local APIC: logical destination 0x%x is not emulated (use physical IDs)", dest);
		return;
	}
	bool all = shorthand == SHORTHAND_ALL_BUT_SELF || dest == DEST_BROADCAST;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];
		if (t == self || (!all && t->id != dest))
			continue; /* an ID no vCPU has: nobody accepts it, as on hardware */
		if (mode == ICR_MODE_INIT)
			vcpu_send_init(t);
		else
			vcpu_send_sipi(t, (u8)ICR_VECTOR(icr));
	}
}

void vlapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	struct vlapic *l = &vcpu->lapic;
	u32 v = (u32)value, *lvt = lvt_reg(l, offset);

	if (bad_access(vcpu, offset, size))
		return;
	if (lvt) {
		*lvt = v;
		return;
	}
	switch (offset) {
	case APIC_ID: case APIC_VERSION: case APIC_EOI: case APIC_ESR:
		return; /* read-only here, or a write with no effect (nothing in service, no errors) */
	case APIC_TPR: l->tpr = v & 0xff; return;
	case APIC_LDR: l->ldr = v & 0xff000000u; return;
	case APIC_DFR: l->dfr = v | 0x0fffffffu; return;
	case APIC_SPIV: l->spiv = v & 0x13ff; return;
	case APIC_ICR_HIGH: l->icr_high = v & 0xff000000u; return;
	case APIC_ICR_LOW:
		l->icr_low = v & ICR_WRITABLE;
		send_ipi(vcpu, l->icr_low, (u8)(l->icr_high >> 24));
		return;
	case APIC_TIMER_DIVIDE: l->timer_divide = v & 0xb; return;
	case APIC_TIMER_INITIAL:
		if (v)
			vm_fail(vcpu, "local APIC: the timer is not emulated (initial count 0x%x written)", v);
		return;
	}
	vm_fail(vcpu, "local APIC: write of 0x%x to offset 0x%lx, which is no writable register", v, offset);
}
