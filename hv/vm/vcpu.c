/* A vCPU's start state and its run loop: requests, enter the guest, dispatch the exit. */
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vcpu_intr.h"
#include "hv/vm/vm_memory.h"
#include "hv/cpu/irq.h"
#include "hv/vm/guest_switch.h"
#include "hv/cpu/percpu.h"
#include "hv/sched/sched.h"
#include "kstring.h"

#define SEG_TYPE_DATA_RW 0x3   /* read/write, accessed */
#define SEG_TYPE_CODE_RX 0xb   /* execute/read, accessed */
#define SEG_TYPE_TSS_BUSY 0xb  /* 32/64-bit TSS, busy (VT-x requires busy) */

static struct vcpu_segment segment(u16 selector, u64 base, u32 limit, u8 type)
{
	return (struct vcpu_segment){
		.selector = selector, .base = base, .limit = limit, .type = type,
		.s = 1, .present = 1, .g = limit > 0xfffff,
	};
}

static void common_state(struct vcpu_sregs *s)
{
	memset(s, 0, sizeof(*s));
	s->tr = (struct vcpu_segment){ .limit = 0xffff, .type = SEG_TYPE_TSS_BUSY, .present = 1 };
	s->ldtr = (struct vcpu_segment){ .unusable = 1 };
}

static void real_mode_state(u16 cs, struct vcpu_sregs *s)
{
	common_state(s);
	for (int i = 0; i < SEG_COUNT; i++)
		s->seg[i] = segment(0, 0, 0xffff, SEG_TYPE_DATA_RW);
	s->seg[SEG_CS] = segment(cs, (u64)cs << 4, 0xffff, SEG_TYPE_CODE_RX);
	s->idt.limit = 0x3ff; /* the real-mode vector table at 0 */
	s->cr0 = CR0_ET;
}

static void start_state(enum guest_cpu_mode mode, u64 entry, u64 cr3, struct vcpu_sregs *s, u64 *rip)
{
	if (mode == GUEST_MODE_REAL) {
		/* CS:IP reaches the entry; above 64 KiB CS carries the high bits. */
		u16 cs = (u16)((entry >> 4) & 0xf000);
		real_mode_state(cs, s);
		*rip = entry - ((u64)cs << 4);
		return;
	}
	common_state(s);
	for (int i = 0; i < SEG_COUNT; i++) {
		s->seg[i] = segment(GUEST_GDT_DATA, 0, 0xffffffff, SEG_TYPE_DATA_RW);
		s->seg[i].db = 1;
	}
	s->gdt.base = GUEST_GDT_BASE;
	s->gdt.limit = GUEST_GDT_LIMIT;
	s->cr0 = CR0_PE | CR0_ET;
	*rip = entry;
	if (mode == GUEST_MODE_PROT32) {
		s->seg[SEG_CS] = segment(GUEST_GDT_CODE32, 0, 0xffffffff, SEG_TYPE_CODE_RX);
		s->seg[SEG_CS].db = 1;
		return;
	}
	s->seg[SEG_CS] = segment(GUEST_GDT_CODE64, 0, 0xffffffff, SEG_TYPE_CODE_RX);
	s->seg[SEG_CS].l = 1;
	s->cr0 |= CR0_PG | CR0_WP;
	s->cr4 = CR4_PAE;
	s->cr3 = cr3;
	s->efer = EFER_LME | EFER_LMA;
}

/* Zeroed GPRs and the state in vcpu->start_sregs, for the vCPU's thread to hand over. */
static void start_with(struct vcpu *vcpu, u64 rip)
{
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs.rip = rip;
	vcpu->regs.rflags = RFLAGS_FIXED1;
	vcpu->start_pending = true;
}

void vcpu_reset(struct vcpu *vcpu, enum guest_cpu_mode mode, u64 entry, u64 cr3)
{
	u64 rip;

	start_state(mode, entry, cr3, &vcpu->start_sregs, &rip);
	start_with(vcpu, rip);
}

void vcpu_reset_real(struct vcpu *vcpu, u16 cs, u16 ip)
{
	real_mode_state(cs, &vcpu->start_sregs);
	start_with(vcpu, ip);
}

/* Pairs with vcpu_thread's store: a poster sets its request, then loads the
 * thread (both SEQ_CST); the thread stores itself, then loads the requests. */
void vcpu_wake(struct vcpu *vcpu)
{
	struct thread *t = __atomic_load_n(&vcpu->thread, __ATOMIC_SEQ_CST);
	if (t)
		sched_wake(t);
}

/* Everything that must be true before the guest runs again; false when the vCPU
 * may not run now. *timer_ns: its APIC timer's next expiry (hv/vm/vcpu_intr.h). */
static bool prepare_entry(struct vcpu *vcpu, u64 *timer_ns)
{
	u64 req = __atomic_exchange_n(&vcpu->requests, 0, __ATOMIC_ACQ_REL);

	if (req & VCPU_REQ_FLUSH_TLB)
		vendor->flush_tlb(vcpu);
	if (req & VCPU_REQ_EVENT)
		vcpu_mp_events(vcpu);
	if (vcpu->start_pending) {
		vendor->set_sregs(vcpu, &vcpu->start_sregs);
		vcpu->start_pending = false;
	}
	spin_lock(&vcpu->vm->lock);
	bool run = vcpu_intr_prepare(vcpu, timer_ns);
	spin_unlock(&vcpu->vm->lock);
	if (!run)
		return false;
	vm_memory_load_root(vcpu); /* only when missing or obsolete */
	return true;
}

/* A halted or waiting vCPU sleeps until something is posted to it (every
 * poster wakes it) or until wake_ns, when its APIC timer fires. */
static void wait_for_event(struct vcpu *vcpu, u64 wake_ns)
{
	while (!__atomic_load_n(&vcpu->requests, __ATOMIC_SEQ_CST) && !vm_stopped(vcpu->vm)) {
		if (!sched_block(wake_ns) && wake_ns)
			return;
	}
}

/*
 * One guest entry under the kick protocol (hv/cpu/kick.h): with interrupts off,
 * publish "in guest mode", then look at the requests once more; a request
 * set after that look comes with a kick IPI, which forces the exit.
 * Returns false (nothing run) when a request arrived meanwhile.
 */
static bool enter_guest(struct vcpu *vcpu, struct vm_exit *exit, u64 timer_ns)
{
	u64 flags = irq_save();
	bool entered = false;

	sched_set_guest_deadline(timer_ns); /* its APIC timer forces an exit when due */
	vcpu->presence.cpu = this_cpu()->id;
	guest_presence_enter(&vcpu->presence);
	if (!__atomic_load_n(&vcpu->requests, __ATOMIC_SEQ_CST)) {
		guest_switch_in(vcpu);
		vendor->run(vcpu, exit);
		entered = true;
	}
	guest_presence_leave(&vcpu->presence);
	irq_restore(flags); /* a physical interrupt that ended the guest is taken here */
	return entered;
}

static void vcpu_run(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vm_exit exit;
	u64 timer_ns;

	while (!vm_stopped(vm)) {
		if (!prepare_entry(vcpu, &timer_ns)) {
			wait_for_event(vcpu, timer_ns);
			continue;
		}
		if (vm_stopped(vm) || !enter_guest(vcpu, &exit, timer_ns))
			continue;
		__atomic_store_n(&vcpu->exits, vcpu->exits + 1, __ATOMIC_RELAXED);
		exit_dispatch(vcpu, &exit);
	}
}

void vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	/* Published here, before the first look at the requests: vm_start's own
	 * store may come later, and a vCPU blocked before it was never woken
	 * (an AP that missed the INIT-SIPI of a BSP already running). */
	__atomic_store_n(&vcpu->thread, sched_current(), __ATOMIC_SEQ_CST);
	const char *why = vendor->vcpu_create(vcpu);
	if (!why && !guest_switch_vcpu_create(vcpu))
		why = "out of memory for its FPU/SSE/AVX state";
	if (why)
		vm_fail(vcpu, "cannot create vCPU %u on CPU %u: %s", vcpu->id, vcpu->cpu, why);
	else
		vcpu_run(vcpu);
	guest_switch_vcpu_destroy(vcpu);
	if (vcpu->vendor)
		vendor->vcpu_destroy(vcpu);
	vm_vcpu_done(vcpu->vm);
}
