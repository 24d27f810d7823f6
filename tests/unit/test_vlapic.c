/* The virtual local APIC's register model, IPIs, priorities, modes and timer (hv/devices/vlapic.c, vlapic_timer.c). */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/vm/vm.h"
#include "hv/devices/vlapic.h"

/* --- what the APIC calls outside itself, recorded --- */
static u32 inits, sipis, sipi_vector, notified, eois, eoi_vector;
static u64 now_ns = 1000000;
static const char *failed;

void vm_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	vcpu->vm->outcome = VM_FAILED;
	failed = fmt;
}
void vcpu_send_init(struct vcpu *target) { inits |= 1u << target->id; }
void vcpu_send_sipi(struct vcpu *target, u8 vector) { sipis |= 1u << target->id; sipi_vector = vector; }
void vcpu_mp_notify(struct vcpu *target) { notified |= 1u << target->id; }
u64 time_now_ns(void) { return now_ns; }
u64 time_tsc_hz(void) { return 1000000000ull; }
u64 vcpu_guest_tsc(const struct vcpu *vcpu) { return rdtsc(); }
static void eoi_hook(struct vm *vm, u8 vector) { eois++; eoi_vector = vector; }

static struct vm vm;
static struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1], *v2 = &vm.vcpus[2], *v3 = &vm.vcpus[3];

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.nvcpus = 4;
	for (u32 i = 0; i < vm.nvcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vlapic_reset(&vm.vcpus[i]);
		vlapic_write(&vm.vcpus[i], 0xf0, 4, 0x1ff); /* software-enabled, spurious 0xFF */
	}
	inits = sipis = sipi_vector = notified = eois = eoi_vector = 0;
	failed = NULL;
	vlapic_set_eoi_hook(eoi_hook);
	return 0;
}

static u32 rd(struct vcpu *v, u32 off) { return (u32)vlapic_read(v, off, 4); }
static void wr(struct vcpu *v, u32 off, u32 val) { vlapic_write(v, off, 4, val); }
static void ipi(struct vcpu *from, u8 dest, u32 low) { wr(from, 0x310, (u32)dest << 24); wr(from, 0x300, low); }
static bool irr(struct vcpu *v, u8 vec) { return rd(v, 0x200 + (vec / 32) * 0x10) & (1u << (vec % 32)); }
static bool isr(struct vcpu *v, u8 vec) { return rd(v, 0x100 + (vec / 32) * 0x10) & (1u << (vec % 32)); }

static void test_reset_values(void **state)
{
	vlapic_reset(v2);
	assert_int_equal(rd(v2, 0x20), 2u << 24);                 /* the APIC ID is the vCPU index */
	assert_int_equal(rd(v2, 0x30), 0x01060014u);              /* version 0x14, 7 LVTs, EOI suppression */
	assert_int_equal(rd(v2, 0xf0), 0xff);                     /* SPIV: software-disabled */
	assert_int_equal(rd(v2, 0xe0), 0xffffffffu);              /* DFR: flat */
	for (u32 off = 0x320; off <= 0x370; off += 0x10)
		assert_int_equal(rd(v2, off), 1u << 16);          /* every LVT masked */
	assert_int_equal(rd(v2, 0x2f0), 1u << 16);
	assert_int_equal(v2->lapic.base, 0xfee00800ull);          /* enabled, not BSP */
	assert_int_equal(v0->lapic.base, 0xfee00900ull);          /* the BSP */
	wr(v2, 0x80, 0x1234);
	assert_int_equal(rd(v2, 0x80), 0x34);                     /* TPR: 8 bits */
	wr(v2, 0x20, 7u << 24);                                   /* the ID is read-only */
	assert_int_equal(rd(v2, 0x20), 2u << 24);
	wr(v2, 0x320, 0xffffffffu);                               /* software-disabled: stays masked */
	assert_true(rd(v2, 0x320) & (1u << 16));
	assert_int_equal(vm.outcome, VM_RUNNING);
}

static void test_init_sipi(void **state)
{
	ipi(v0, 0, 0x000c4500);                                   /* INIT, assert, all but self */
	assert_int_equal(inits, 0xe);
	ipi(v0, 0, 0x000c0608);                                   /* SIPI vector 8, all but self */
	assert_int_equal(sipis, 0xe);
	assert_int_equal(sipi_vector, 8);
	assert_int_equal(rd(v0, 0x300) & (1u << 12), 0);          /* delivery status: idle */
	inits = sipis = 0;
	ipi(v0, 3, 0x00004500);
	ipi(v0, 3, 0x0000069a);
	assert_int_equal(inits, 1u << 3);
	assert_int_equal(sipi_vector, 0x9a);
	ipi(v0, 9, 0x00004500);                                   /* no such vCPU: nobody accepts */
	ipi(v0, 3, 0x00008500);                                   /* INIT level de-assert: ignored */
	assert_int_equal(inits, 1u << 3);
}

/* A fixed IPI: IRR, arbitration against the PPR, ISR, EOI (highest first), TMR and the EOI hook. */
static void test_fixed_ipi_and_priorities(void **state)
{
	ipi(v0, 1, 0x40);
	assert_true(irr(v1, 0x40));
	assert_int_equal(notified, 1u << 1);
	assert_int_equal(vlapic_pending_vector(v1), 0x40);
	vlapic_accept(v1, 0x40);
	assert_false(irr(v1, 0x40));
	assert_true(isr(v1, 0x40));
	assert_int_equal(rd(v1, 0xa0), 0x40);                     /* PPR: the in-service class */
	ipi(v0, 1, 0x45);                                         /* same class: held */
	assert_int_equal(vlapic_pending_vector(v1), -1);
	ipi(v0, 1, 0x8000 | 0x90);                                /* level-triggered, higher class */
	assert_int_equal(vlapic_pending_vector(v1), 0x90);
	vlapic_accept(v1, 0x90);
	assert_true(rd(v1, 0x180 + 4 * 0x10) & (1u << 0x10));    /* TMR bit 0x90 */
	wr(v1, 0xb0, 0);                                          /* EOI: the highest, 0x90 */
	assert_false(isr(v1, 0x90));
	assert_true(isr(v1, 0x40));
	assert_int_equal(eois, 1);
	assert_int_equal(eoi_vector, 0x90);
	wr(v1, 0xb0, 0);
	assert_int_equal(vlapic_pending_vector(v1), 0x45);
	wr(v1, 0x80, 0x50);                                       /* TPR class 5 holds class 4 */
	assert_int_equal(vlapic_pending_vector(v1), -1);
	assert_int_equal(rd(v1, 0xa0), 0x50);
	vlapic_set_cr8(v1, 4);
	assert_int_equal(rd(v1, 0x80), 0x40);
	assert_int_equal(vlapic_pending_vector(v1), -1);          /* class 4 is not above 4 */
	vlapic_set_cr8(v1, 3);
	assert_int_equal(vlapic_get_cr8(v1), 3);
	assert_int_equal(vlapic_pending_vector(v1), 0x45);
	assert_int_equal(eois, 1);
}

static void test_illegal_vector_and_errors(void **state)
{
	ipi(v0, 1, 0x05);
	assert_false(irr(v1, 0x05));
	assert_int_equal(notified, 0);
	assert_int_equal(rd(v0, 0x280), 0);                       /* reads show the last write's latch */
	wr(v0, 0x280, 0);
	assert_int_equal(rd(v0, 0x280), 1u << 5);                 /* send illegal vector */
	wr(v0, 0x280, 0);
	assert_int_equal(rd(v0, 0x280), 0);
	wr(v0, 0x370, 0xe0);                                      /* LVT error unmasked: vector 0xE0 */
	ipi(v0, 0, 0x40000 | 0x0a);                               /* to itself: send and receive errors */
	assert_true(irr(v0, 0xe0));
	wr(v0, 0x280, 0);
	assert_int_equal(rd(v0, 0x280), (1u << 5));
	wr(v0, 0x400, 1);                                         /* no register: illegal register address */
	assert_int_equal(rd(v0, 0x400), 0);
	wr(v0, 0x280, 0);
	assert_int_equal(rd(v0, 0x280), 1u << 7);
	assert_int_equal(vm.outcome, VM_RUNNING);
}

static void test_destinations(void **state)
{
	for (u32 i = 0; i < 4; i++)
		wr(&vm.vcpus[i], 0xd0, (1u << i) << 24);          /* flat: one bit each */
	ipi(v0, 0x06, 0x800 | 0x30);                              /* logical 0b0110: vCPUs 1, 2 */
	assert_true(irr(v1, 0x30) && irr(v2, 0x30) && !irr(v0, 0x30) && !irr(v3, 0x30));
	for (u32 i = 0; i < 4; i++) {
		wr(&vm.vcpus[i], 0xe0, 0x0fffffffu);              /* cluster model */
		wr(&vm.vcpus[i], 0xd0, ((i / 2) << 28 | (1u << (i % 2)) << 24));
	}
	ipi(v0, 0x13, 0x800 | 0x31);                              /* cluster 1, members 0 and 1: vCPUs 2, 3 */
	assert_true(!irr(v0, 0x31) && !irr(v1, 0x31) && irr(v2, 0x31) && irr(v3, 0x31));
	ipi(v0, 0xff, 0x32);                                      /* physical broadcast */
	for (u32 i = 0; i < 4; i++)
		assert_true(irr(&vm.vcpus[i], 0x32));
	ipi(v1, 0, 0x40000 | 0x33);                               /* self */
	assert_true(irr(v1, 0x33) && !irr(v0, 0x33));
	ipi(v1, 0, 0x80000 | 0x34);                               /* all including self */
	for (u32 i = 0; i < 4; i++)
		assert_true(irr(&vm.vcpus[i], 0x34));
	ipi(v1, 0, 0xc0000 | 0x35);                               /* all but self */
	assert_true(irr(v0, 0x35) && !irr(v1, 0x35) && irr(v2, 0x35) && irr(v3, 0x35));
	ipi(v0, 0xff, 0x100 | 0x36);                              /* lowest priority: one target */
	u32 got = 0;
	for (u32 i = 0; i < 4; i++)
		got += irr(&vm.vcpus[i], 0x36);
	assert_int_equal(got, 1);
	ipi(v0, 2, 0x400);                                        /* NMI */
	assert_true(v2->lapic.nmi_pending && !v1->lapic.nmi_pending);
	wr(v3, 0xf0, 0xff);                                       /* software-disabled: no fixed IPIs */
	ipi(v0, 3, 0x37);
	assert_false(irr(v3, 0x37));
}

static bool base(struct vcpu *v, u64 value) { return vlapic_set_base(v, value); }

static void test_x2apic_mode(void **state)
{
	u64 val;
	assert_false(vlapic_msr_read(v1, 0x802, &val));           /* xAPIC: the MSRs #GP */
	assert_false(base(v1, 0xfee00000ull | APIC_BASE_EXTD));  /* x2APIC without enable */
	assert_false(base(v1, 0xfee00800ull | APIC_BASE_BSP));   /* flipping BSP */
	assert_false(base(v1, 0xfee00800ull | (1ull << 9)));     /* a reserved bit */
	assert_true(base(v1, 0xfee00c00ull));                     /* xAPIC -> x2APIC */
	assert_false(vlapic_mmio_at(v1, 0xfee00020ull));          /* the page is no APIC now */
	assert_true(vlapic_msr_read(v1, 0x802, &val));
	assert_int_equal(val, 1);                                 /* x2APIC ID: the index */
	assert_true(vlapic_msr_read(v1, 0x80d, &val));
	assert_int_equal(val, 2);                                 /* LDR: cluster 0, bit 1 */
	assert_false(vlapic_msr_write(v1, 0x802, 5));             /* read-only */
	assert_false(vlapic_msr_write(v1, 0x80d, 5));
	assert_false(vlapic_msr_read(v1, 0x801, &val));           /* reserved */
	assert_false(vlapic_msr_read(v1, 0x80e, &val));           /* no DFR in x2APIC mode */
	assert_false(vlapic_msr_read(v1, 0x831, &val));           /* ICR is one register */
	assert_false(vlapic_msr_read(v1, 0x80b, &val));           /* EOI: write-only */
	assert_false(vlapic_msr_write(v1, 0x80b, 1));             /* EOI takes only 0 */
	assert_false(vlapic_msr_write(v1, 0x808, 1ull << 32));    /* reserved bits of the TPR */
	assert_true(vlapic_msr_write(v1, 0x808, 0x20));
	assert_true(vlapic_msr_write(v1, 0x83f, 0x41));           /* SELF IPI */
	assert_true(irr(v1, 0x41));
	assert_true(vlapic_msr_write(v1, 0x830, (3ull << 32) | 0x42)); /* ICR: destination in 63:32 */
	assert_true(irr(v3, 0x42));
	assert_true(vlapic_msr_read(v1, 0x830, &val));
	assert_int_equal(val, (3ull << 32) | 0x42);
	assert_false(base(v1, 0xfee00800ull));                    /* x2APIC -> xAPIC: #GP */
	assert_true(base(v1, 0xfee00000ull));                     /* -> disabled: reset */
	assert_int_equal(rd(v1, 0x80), 0);
	assert_false(irr(v1, 0x41));
	assert_false(base(v1, 0xfee00c00ull));                    /* disabled -> x2APIC: #GP */
	assert_true(base(v1, 0xfed00800ull));                     /* -> xAPIC, relocated */
	assert_true(vlapic_mmio_at(v1, 0xfed00020ull));
	assert_false(vlapic_mmio_at(v1, 0xfee00020ull));
	vlapic_init_signal(v1);
	assert_int_equal(v1->lapic.base, 0xfed00800ull);          /* INIT keeps the base */
}

static void test_bad_mmio_access_stops(void **state)
{
	vlapic_write(v0, 0x80, 1, 0);                             /* a byte access */
	assert_int_equal(vm.outcome, VM_FAILED);
	vm.outcome = VM_RUNNING;
	vlapic_read(v0, 0x84, 4);                                 /* not on a register boundary */
	assert_int_equal(vm.outcome, VM_FAILED);
}

static void test_timer_oneshot_and_periodic(void **state)
{
	assert_int_equal(vlapic_timer_divisor(0xb), 1);
	assert_int_equal(vlapic_timer_divisor(0x0), 2);
	assert_int_equal(vlapic_timer_divisor(0xa), 128);
	wr(v0, 0x3e0, 0x3);                                       /* divide by 16 */
	wr(v0, 0x320, 0x60);                                      /* one-shot, vector 0x60 */
	wr(v0, 0x380, 1000);                                      /* 16 us */
	assert_int_equal(vlapic_timer_next(v0), now_ns + 16000);
	now_ns += 1600;
	assert_int_equal(rd(v0, 0x390), 900);
	vlapic_timer_poll(v0, now_ns);
	assert_false(irr(v0, 0x60));
	now_ns += 14400;
	vlapic_timer_poll(v0, now_ns);
	assert_true(irr(v0, 0x60));
	assert_int_equal(rd(v0, 0x390), 0);
	assert_int_equal(vlapic_timer_next(v0), 0);               /* one-shot: done */

	setup(state);
	wr(v0, 0x3e0, 0xb);                                       /* divide by 1 */
	wr(v0, 0x320, (1u << 17) | 0x61);                         /* periodic */
	wr(v0, 0x380, 100);
	u64 start = now_ns;
	now_ns += 350;                                            /* three periods passed at once */
	assert_int_equal(rd(v0, 0x390), 50);
	vlapic_timer_poll(v0, now_ns);
	assert_true(irr(v0, 0x61));                               /* coalesced into one */
	assert_int_equal(vlapic_timer_next(v0), start + 400);     /* the phase kept */
	vlapic_accept(v0, 0x61);
	vlapic_timer_poll(v0, now_ns);
	assert_false(irr(v0, 0x61));
	now_ns += 50;
	vlapic_timer_poll(v0, now_ns);
	assert_true(irr(v0, 0x61));
	assert_int_equal(vlapic_timer_next(v0), start + 500);
	wr(v0, 0x320, (2u << 17) | 0x61);                         /* a mode change disarms */
	assert_int_equal(rd(v0, 0x380), 0);
	assert_int_equal(vlapic_timer_next(v0), 0);
}

static void test_tsc_deadline(void **state)
{
	vlapic_tsc_deadline_write(v0, 12345);                    /* not in TSC-deadline mode: ignored */
	assert_int_equal(vlapic_tsc_deadline_read(v0), 0);
	wr(v0, 0x320, (2u << 17) | 0x62);
	wr(v0, 0x380, 1000);                                      /* ignored in this mode */
	assert_int_equal(rd(v0, 0x380), 0);
	vlapic_tsc_deadline_write(v0, 1);                         /* already passed: fires at the next poll */
	assert_int_equal(vlapic_timer_next(v0), now_ns);
	vlapic_timer_poll(v0, now_ns);
	assert_true(irr(v0, 0x62));
	assert_int_equal(vlapic_tsc_deadline_read(v0), 0);        /* reads 0 once it fired */
	vlapic_tsc_deadline_write(v0, ~0ull >> 2);                /* far away */
	assert_true(vlapic_timer_next(v0) > now_ns + 1000000000ull);
	vlapic_tsc_deadline_write(v0, 0);                         /* 0 disarms */
	assert_int_equal(vlapic_timer_next(v0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_init_sipi, setup),
		cmocka_unit_test_setup(test_fixed_ipi_and_priorities, setup),
		cmocka_unit_test_setup(test_illegal_vector_and_errors, setup),
		cmocka_unit_test_setup(test_destinations, setup),
		cmocka_unit_test_setup(test_x2apic_mode, setup),
		cmocka_unit_test_setup(test_bad_mmio_access_stops, setup),
		cmocka_unit_test_setup(test_timer_oneshot_and_periodic, setup),
		cmocka_unit_test_setup(test_tsc_deadline, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
