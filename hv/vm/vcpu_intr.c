/* Interrupt and NMI delivery at guest entry (hv/vm/vcpu_intr.h). */
#include "hv/vm/vcpu_intr.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/emulate/guest_insn.h"
#include "hv/cpu/time.h"

#define VECTOR_NMI 2

static bool guest_if(const struct vcpu *vcpu)
{
	return vcpu->regs.rflags & RFLAGS_IF;
}

bool vcpu_intr_wakes_hlt(const struct vcpu *vcpu)
{
	return vcpu->lapic.nmi_pending ||
	       (guest_if(vcpu) && (vlapic_pending_vector(vcpu) >= 0 || isa_irq_extint_pending(vcpu)));
}

bool vcpu_intr_timer_can_wake(const struct vcpu *vcpu)
{
	return guest_if(vcpu) && (vlapic_timer_next(vcpu) || (vcpu->id == 0 && isa_irq_next_timer(vcpu->vm)));
}

static void inject_nmi(struct vcpu *vcpu)
{
	struct vcpu_event ev = { .type = EVENT_NMI, .vector = VECTOR_NMI };

	if (!vendor->nmi_allowed(vcpu)) {
		vendor->request_nmi_window(vcpu);
		return;
	}
	vcpu->lapic.nmi_pending = false;
	vendor->inject_event(vcpu, &ev);
}

/* The local APIC's highest vector first, then the 8259 through LINT0 (as QEMU arbitrates). */
static void inject_irq(struct vcpu *vcpu, int apic_vector)
{
	struct vcpu_event ev = { .type = EVENT_EXT_INTR };

	if (!vendor->irq_allowed(vcpu)) {
		vendor->request_irq_window(vcpu);
		return;
	}
	if (apic_vector >= 0) {
		ev.vector = (u8)apic_vector;
		vlapic_accept(vcpu, ev.vector); /* IRR -> ISR as the CPU acknowledges it */
	} else {
		ev.vector = isa_irq_extint_ack(vcpu); /* the INTA cycle */
	}
	vendor->inject_event(vcpu, &ev);
}

bool vcpu_intr_prepare(struct vcpu *vcpu, u64 *timer_ns)
{
	u64 now = time_now_ns();
	vlapic_timer_poll(vcpu, now);
	isa_irq_poll_timers(vcpu->vm, now);
	if (vcpu->mp_state == VCPU_HALTED && vcpu_intr_wakes_hlt(vcpu))
		vcpu->mp_state = VCPU_RUNNABLE;
	bool run = vcpu->mp_state == VCPU_RUNNABLE;
	*timer_ns = run || vcpu_intr_timer_can_wake(vcpu) ? vlapic_timer_next(vcpu) : 0;
	/* The PIT and the RTC interrupt the BSP (through the 8259, or the I/O APIC as
	 * firmware routes them): it wakes and exits for them; other vCPUs see them
	 * when they next come by. */
	if (vcpu->id == 0 && (run || vcpu_intr_timer_can_wake(vcpu)))
		*timer_ns = time_earlier(*timer_ns, isa_irq_next_timer(vcpu->vm));
	if (!run)
		return false;
	if (vcpu->lapic.nmi_pending)
		inject_nmi(vcpu);
	int vector = vlapic_pending_vector(vcpu);
	if (vector >= 0 || isa_irq_extint_pending(vcpu))
		inject_irq(vcpu, vector);
	return true;
}

static bool legacy_prefix(u8 b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
	       b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/* MOV CR8, r / MOV r, CR8 (0F 22 / 0F 20, REX.R): the GPR and the length, when the backend could not say. */
static bool decode_mov_cr8(struct vcpu *vcpu, bool write, int *gpr, u8 *len)
{
	struct vcpu_sregs s;
	u8 b[INSN_MAX_LEN];
	u32 i = 0;
	u8 rex = 0;

	vendor->get_sregs(vcpu, &s);
	u32 n = guest_fetch_insn(vcpu, &s, b, sizeof(b));
	while (i < n && legacy_prefix(b[i]))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40 && sregs_64bit_code(&s))
		rex = b[i++];
	if (i + 3 > n || b[i] != 0x0f || b[i + 1] != (write ? 0x22 : 0x20))
		return false;
	*gpr = (b[i + 2] & 7) | ((rex & 1) << 3);
	*len = (u8)(i + 3);
	return true;
}

bool cr8_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	int gpr = exit->cr8.gpr;
	u8 len = exit->insn_len;

	if ((gpr < 0 || !len) && !decode_mov_cr8(vcpu, exit->cr8.write, &gpr, &len)) {
		vm_fail(vcpu, "CR8 access exit at RIP 0x%lx: the instruction is no MOV to/from CR8", vcpu->regs.rip);
		return false;
	}
	if (!exit->cr8.write) {
		vcpu->regs.gpr[gpr] = vlapic_get_cr8(vcpu);
	} else if (vcpu->regs.gpr[gpr] >> 4) {
		inject_exception(vcpu, VECTOR_GP, true, 0); /* CR8 bits 63:4 are reserved */
		return false;
	} else {
		vlapic_set_cr8(vcpu, (u8)vcpu->regs.gpr[gpr]);
	}
	vcpu->regs.rip += len;
	return false;
}
