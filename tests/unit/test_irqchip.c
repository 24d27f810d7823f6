/* The 8259 PICs and the IOAPIC (hv/devices/pic.c, ioapic.c) behind the ISA lines (isa_irq.c). */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/vm/vm.h"
#include "hv/devices/isa_irq.h"
#include "hv/devices/pic.h"
#include "hv/devices/ioapic.h"
#include "hv/devices/apic_bus.h"

static struct vm vm;
static struct vcpu *vcpu0 = &vm.vcpus[0];

/* The APIC bus, as the local APICs would see it. */
static struct apic_msg sent[8];
static u32 nsent;
void apic_bus_deliver(struct vm *v, const struct apic_msg *msg)
{
	if (nsent < 8)
		sent[nsent] = *msg;
	nsent++;
}
void apic_bus_lint0(struct vm *v, bool level) { v->isa_irq.pic_int = level; }
void vm_fail_device(struct vm *v, const char *fmt, ...) { v->outcome = VM_FAILED; }

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.vcpus[0].vm = &vm;
	pic_reset(&vm);
	ioapic_reset(&vm);
	nsent = 0;
	return 0;
}

/* The BIOS's sequence: ICW1-4 on both, vectors 0x20 and 0x28, slave on IRQ 2. */
static void init_pics(u8 master_mask, u8 slave_mask)
{
	pic_write(&vm, 0x20, 1, 0x11);
	pic_write(&vm, 0xa0, 1, 0x11);
	pic_write(&vm, 0x21, 1, 0x20);
	pic_write(&vm, 0xa1, 1, 0x28);
	pic_write(&vm, 0x21, 1, 0x04);
	pic_write(&vm, 0xa1, 1, 0x02);
	pic_write(&vm, 0x21, 1, 0x01);
	pic_write(&vm, 0xa1, 1, 0x01);
	pic_write(&vm, 0x21, 1, master_mask);
	pic_write(&vm, 0xa1, 1, slave_mask);
}

static void test_pic_init_mask_eoi(void **state)
{
	init_pics(0xfe, 0xff); /* only IRQ 0 */
	assert_int_equal(pic_read(&vm, 0x21, 1), 0xfe);
	isa_irq_set(&vm, 1, true);             /* masked: pending, no INT */
	assert_false(vm.isa_irq.pic_int);
	assert_int_equal(pic_read(&vm, 0x20, 1), 0x02); /* IRR */
	isa_irq_set(&vm, 0, true);
	assert_true(vm.isa_irq.pic_int);
	assert_int_equal(pic_acknowledge(&vm), 0x20);
	assert_false(vm.isa_irq.pic_int);      /* in service; the edge is consumed */
	pic_write(&vm, 0x20, 1, 0x0b);         /* OCW3: read ISR */
	assert_int_equal(pic_read(&vm, 0x20, 1), 0x01);
	isa_irq_set(&vm, 0, false);
	isa_irq_set(&vm, 0, true);             /* a new edge while IRQ 0 is in service: waits */
	assert_false(vm.isa_irq.pic_int);
	pic_write(&vm, 0x20, 1, 0x20);         /* non-specific EOI */
	assert_int_equal(pic_read(&vm, 0x20, 1), 0x00);
	assert_true(vm.isa_irq.pic_int);
	assert_int_equal(pic_acknowledge(&vm), 0x20);
	pic_write(&vm, 0x20, 1, 0x60);         /* specific EOI of IRQ 0 */
	pic_write(&vm, 0x20, 1, 0x0a);         /* OCW3: read IRR */
	assert_int_equal(pic_read(&vm, 0x20, 1), 0x02); /* IRQ 1 still pending behind its mask */
}

static void test_pic_cascade_and_elcr(void **state)
{
	init_pics(0xfb, 0xfe);                 /* IRQ 2 (cascade) and IRQ 8 */
	pic_elcr_write(&vm, 0x4d1, 1, 0xff);
	assert_int_equal(pic_elcr_read(&vm, 0x4d1, 1), 0xde); /* IRQ 8 and 13 stay edge */
	pic_elcr_write(&vm, 0x4d0, 1, 0x08);   /* IRQ 3 level */
	isa_irq_set(&vm, 8, true);
	assert_true(vm.isa_irq.pic_int);
	assert_int_equal(pic_acknowledge(&vm), 0x28);
	pic_write(&vm, 0xa0, 1, 0x20);
	pic_write(&vm, 0x20, 1, 0x20);
	assert_false(vm.isa_irq.pic_int);
	pic_write(&vm, 0x21, 1, 0xf3);         /* unmask IRQ 3 too */
	isa_irq_set(&vm, 3, true);
	assert_int_equal(pic_acknowledge(&vm), 0x23);
	pic_write(&vm, 0x20, 1, 0x20);
	assert_true(vm.isa_irq.pic_int);       /* level: still high after EOI */
	isa_irq_set(&vm, 3, false);
	assert_false(vm.isa_irq.pic_int);
	assert_int_equal(pic_acknowledge(&vm), 0x27); /* nothing pending: spurious IRQ 7 */
}

static u32 ioapic_reg(u32 index)
{
	ioapic_write(vcpu0, 0x00, 4, index);
	return (u32)ioapic_read(vcpu0, 0x10, 4);
}

static void ioapic_set(u32 index, u32 v)
{
	ioapic_write(vcpu0, 0x00, 4, index);
	ioapic_write(vcpu0, 0x10, 4, v);
}

static void test_ioapic_registers(void **state)
{
	assert_int_equal(ioapic_reg(0x01), 0x00170020);
	ioapic_set(0x00, 0x0f000000);
	assert_int_equal(ioapic_reg(0x00), 0x0f000000);
	assert_int_equal(ioapic_reg(0x10), 0x00010000); /* masked at reset */
	ioapic_set(0x10 + 2 * 5, 0x0001a0b1);   /* level, active low (bit 13), vector 0xb1, masked */
	ioapic_set(0x11 + 2 * 5, 0x03000000);
	assert_int_equal(ioapic_reg(0x10 + 2 * 5), 0x0001a0b1);
	assert_int_equal(ioapic_reg(0x11 + 2 * 5), 0x03000000);
	ioapic_set(0x10 + 2 * 5, 0x00015000 | 0xb1); /* delivery status and remote IRR are read-only */
	assert_int_equal(ioapic_reg(0x10 + 2 * 5) & 0x5000, 0);
	assert_int_equal(ioapic_reg(0x40), 0xffffffffu); /* past the last entry */
	assert_int_equal(ioapic_read(vcpu0, 0x10, 2), ~0ull);
}

static void test_ioapic_edge_and_level(void **state)
{
	ioapic_set(0x10 + 2 * 2, 0x30);         /* ISA IRQ 0 -> pin 2: edge, fixed, vector 0x30 */
	ioapic_set(0x11 + 2 * 2, 0x01000000);   /* to APIC 1 */
	isa_irq_set(&vm, 0, true);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].vector, 0x30);
	assert_int_equal(sent[0].dest, 1);
	assert_int_equal(sent[0].pin, 2);
	isa_irq_set(&vm, 0, true);              /* no new edge */
	assert_int_equal(nsent, 1);

	ioapic_set(0x10 + 2 * 10, 0x00018041);  /* pin 10: level, masked, vector 0x41 */
	isa_irq_set(&vm, 10, true);
	assert_int_equal(nsent, 1);
	ioapic_set(0x10 + 2 * 10, 0x00008041);  /* unmasking an asserted level pin sends it */
	assert_int_equal(nsent, 2);
	assert_true(sent[1].level);
	assert_true(ioapic_reg(0x10 + 2 * 10) & 0x4000); /* remote IRR */
	isa_irq_set(&vm, 10, true);
	assert_int_equal(nsent, 2);             /* remote IRR holds it */
	ioapic_eoi(&vm, 0x41);                  /* still asserted: sent again */
	assert_int_equal(nsent, 3);
	isa_irq_set(&vm, 10, false);
	ioapic_write(vcpu0, 0x40, 4, 0x41);     /* the EOI register (version 0x20) */
	assert_false(ioapic_reg(0x10 + 2 * 10) & 0x4000);
	assert_int_equal(nsent, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pic_init_mask_eoi, setup),
		cmocka_unit_test_setup(test_pic_cascade_and_elcr, setup),
		cmocka_unit_test_setup(test_ioapic_registers, setup),
		cmocka_unit_test_setup(test_ioapic_edge_and_level, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
