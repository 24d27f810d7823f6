/* The guest's 8259A pair (hv/devices/vpic.c) and I/O APIC (hv/devices/vioapic.c). */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/devices/vpic.h"
#include "hv/devices/vioapic.h"

/* --- the 8259s --- */

static struct vpic pic;

/* What Linux and SeaBIOS write: edge, cascade, vectors 0x20 and 0x28, 8086 mode. */
static void pic_init_pc(u8 icw4)
{
	vpic_reset(&pic);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x11);
	vpic_write(&pic, VPIC_MASTER_DATA, 0x20);
	vpic_write(&pic, VPIC_MASTER_DATA, 0x04);
	vpic_write(&pic, VPIC_MASTER_DATA, icw4);
	vpic_write(&pic, VPIC_SLAVE_CMD, 0x11);
	vpic_write(&pic, VPIC_SLAVE_DATA, 0x28);
	vpic_write(&pic, VPIC_SLAVE_DATA, 0x02);
	vpic_write(&pic, VPIC_SLAVE_DATA, icw4);
	vpic_write(&pic, VPIC_MASTER_DATA, 0x00);
	vpic_write(&pic, VPIC_SLAVE_DATA, 0x00);
}

static void pulse(u32 irq)
{
	vpic_set_irq(&pic, irq, true);
	vpic_set_irq(&pic, irq, false);
}

static void test_pic_edge_ack_eoi(void **state)
{
	pic_init_pc(0x01);
	assert_false(vpic_output(&pic));
	pulse(0);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_intack(&pic), 0x20);
	assert_false(vpic_output(&pic));
	vpic_write(&pic, VPIC_MASTER_CMD, 0x0b); /* OCW3: read ISR */
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x01);
	pulse(0); /* latched while in service, raised only after the EOI */
	assert_false(vpic_output(&pic));
	vpic_write(&pic, VPIC_MASTER_CMD, 0x20); /* non-specific EOI */
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_intack(&pic), 0x20);
}

static void test_pic_priority_nesting_mask(void **state)
{
	pic_init_pc(0x01);
	pulse(3);
	pulse(1);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x0a); /* OCW3: read IRR */
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x0a);
	assert_int_equal(vpic_intack(&pic), 0x21); /* IRQ1 outranks IRQ3 */
	assert_false(vpic_output(&pic));         /* IRQ3 waits behind IRQ1 in service */
	vpic_write(&pic, VPIC_MASTER_CMD, 0x20);
	assert_int_equal(vpic_intack(&pic), 0x23);
	pulse(0); /* IRQ0 nests inside IRQ3 */
	assert_true(vpic_output(&pic));
	vpic_write(&pic, VPIC_MASTER_DATA, 0x01); /* masked */
	assert_false(vpic_output(&pic));
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_DATA), 0x01);
	vpic_write(&pic, VPIC_MASTER_DATA, 0x00);
	assert_true(vpic_output(&pic));
}

static void test_pic_slave_cascade(void **state)
{
	pic_init_pc(0x01);
	pulse(10);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_intack(&pic), 0x2a);
	vpic_write(&pic, VPIC_SLAVE_CMD, 0x0b);
	assert_int_equal(vpic_read(&pic, VPIC_SLAVE_CMD), 0x04);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x0b);
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x04); /* IRQ2 in service on the master */
	vpic_write(&pic, VPIC_SLAVE_CMD, 0x62);  /* specific EOI, IRQ2 of the slave (10) */
	vpic_write(&pic, VPIC_MASTER_CMD, 0x62); /* specific EOI, IRQ2 */
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x00);
	pulse(8);
	assert_int_equal(vpic_intack(&pic), 0x28);
}

static void test_pic_level_elcr_spurious(void **state)
{
	pic_init_pc(0x01);
	vpic_write(&pic, VPIC_ELCR_MASTER, 0xff);
	assert_int_equal(vpic_read(&pic, VPIC_ELCR_MASTER), 0xf8); /* IRQ0-2 stay edge */
	vpic_write(&pic, VPIC_ELCR_SLAVE, 0x02); /* IRQ9 level */
	vpic_set_irq(&pic, 9, true);
	assert_int_equal(vpic_intack(&pic), 0x29);
	vpic_write(&pic, VPIC_SLAVE_CMD, 0x20);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x20);
	assert_true(vpic_output(&pic)); /* the line is still high */
	vpic_set_irq(&pic, 9, false);
	/* The master latched the cascade's edge: the slave answers with its spurious IRQ15. */
	assert_int_equal(vpic_intack(&pic), 0x2f);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x20);
	assert_false(vpic_output(&pic));
	/* A request that goes away before the acknowledge: the spurious IRQ7. */
	vpic_write(&pic, VPIC_ELCR_MASTER, 0x20); /* IRQ5 level */
	vpic_set_irq(&pic, 5, true);
	vpic_set_irq(&pic, 5, false);
	assert_int_equal(vpic_intack(&pic), 0x27);
}

static void test_pic_auto_eoi_poll_rotate(void **state)
{
	pic_init_pc(0x03); /* automatic EOI */
	pulse(4);
	assert_int_equal(vpic_intack(&pic), 0x24);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x0b);
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x00); /* nothing in service */

	pic_init_pc(0x01);
	pulse(6);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x0c); /* OCW3: poll */
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x86);
	vpic_write(&pic, VPIC_MASTER_CMD, 0x0c);
	assert_int_equal(vpic_read(&pic, VPIC_MASTER_CMD), 0x00); /* IRQ6 in service: nothing else */
	vpic_write(&pic, VPIC_MASTER_CMD, 0xe6); /* rotate on specific EOI 6: IRQ7 now highest */
	pulse(0);
	pulse(7);
	assert_int_equal(vpic_intack(&pic), 0x27);
}

/* --- the I/O APIC --- */

static struct vioapic io;
static struct sent { u32 dest; bool logical; u32 mode; u8 vector; bool level; } sent[8];
static u32 nsent;

static void record(void *ctx, u32 dest, bool logical, u32 mode, u8 vector, bool level_trig)
{
	assert_ptr_equal(ctx, &io);
	if (nsent < 8)
		sent[nsent] = (struct sent){ dest, logical, mode, vector, level_trig };
	nsent++;
}

static u32 reg_read(u32 reg)
{
	vioapic_write(&io, 0x00, reg);
	return vioapic_read(&io, 0x10);
}

static void reg_write(u32 reg, u32 value)
{
	vioapic_write(&io, 0x00, reg);
	vioapic_write(&io, 0x10, value);
}

static void rte_set(u32 pin, u64 rte)
{
	reg_write(0x11 + 2 * pin, (u32)(rte >> 32));
	reg_write(0x10 + 2 * pin, (u32)rte);
}

static int io_setup(void **state)
{
	vioapic_reset(&io, record, &io);
	nsent = 0;
	memset(sent, 0, sizeof(sent));
	return 0;
}

static void test_ioapic_registers(void **state)
{
	assert_int_equal(reg_read(0x01), 0x00170020); /* 24 pins, version 0x20 */
	assert_int_equal(reg_read(0x10), VIOAPIC_RTE_MASKED);
	reg_write(0x00, 0x0f000000);
	assert_int_equal(reg_read(0x00), 0x0f000000);
	reg_write(0x01, 0);
	assert_int_equal(reg_read(0x01), 0x00170020);
	rte_set(5, 0x0300000000000000ull | VIOAPIC_RTE_REMOTE_IRR | VIOAPIC_RTE_DELIVERY_STATUS | 0x41);
	assert_int_equal(reg_read(0x10 + 10), 0x41); /* read-only bits stay clear */
	assert_int_equal(reg_read(0x11 + 10), 0x03000000);
	assert_int_equal(vioapic_read(&io, 0x00), 0x11 + 10);
}

static void test_ioapic_edge(void **state)
{
	rte_set(2, (1ull << VIOAPIC_RTE_DEST_SHIFT) | 0x30);
	vioapic_set_pin(&io, 2, true);
	vioapic_set_pin(&io, 2, true); /* held: no new edge */
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].dest, 1);
	assert_false(sent[0].logical);
	assert_int_equal(sent[0].mode, 0);
	assert_int_equal(sent[0].vector, 0x30);
	assert_false(sent[0].level);
	vioapic_set_pin(&io, 2, false);
	vioapic_set_pin(&io, 2, true);
	assert_int_equal(nsent, 2);
	/* Masked, an edge is lost: unmasking sends nothing. */
	rte_set(3, VIOAPIC_RTE_MASKED | 0x31);
	vioapic_set_pin(&io, 3, true);
	rte_set(3, 0x31);
	assert_int_equal(nsent, 2);
}

static void test_ioapic_level_remote_irr(void **state)
{
	u64 rte = (0x0full << VIOAPIC_RTE_DEST_SHIFT) | VIOAPIC_RTE_DEST_LOGICAL | VIOAPIC_RTE_LEVEL |
		  (1ull << VIOAPIC_RTE_DELIVERY_SHIFT) | 0x40;
	rte_set(9, rte | VIOAPIC_RTE_MASKED);
	vioapic_set_pin(&io, 9, true);
	assert_int_equal(nsent, 0);
	rte_set(9, rte); /* unmasking an asserted level pin sends it */
	assert_int_equal(nsent, 1);
	assert_true(sent[0].logical);
	assert_int_equal(sent[0].mode, 1);
	assert_int_equal(sent[0].dest, 0x0f);
	assert_true(sent[0].level);
	assert_true(reg_read(0x10 + 18) & VIOAPIC_RTE_REMOTE_IRR);
	vioapic_set_pin(&io, 9, true);
	assert_int_equal(nsent, 1); /* waits for the EOI */
	vioapic_eoi(&io, 0x41);     /* another vector: nothing */
	assert_int_equal(nsent, 1);
	vioapic_eoi(&io, 0x40); /* still asserted: sent again */
	assert_int_equal(nsent, 2);
	vioapic_set_pin(&io, 9, false);
	vioapic_write(&io, 0x40, 0x40); /* the EOI register */
	assert_false(reg_read(0x10 + 18) & VIOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(nsent, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_edge_ack_eoi),
		cmocka_unit_test(test_pic_priority_nesting_mask),
		cmocka_unit_test(test_pic_slave_cascade),
		cmocka_unit_test(test_pic_level_elcr_spurious),
		cmocka_unit_test(test_pic_auto_eoi_poll_rotate),
		cmocka_unit_test_setup(test_ioapic_registers, io_setup),
		cmocka_unit_test_setup(test_ioapic_edge, io_setup),
		cmocka_unit_test_setup(test_ioapic_level_remote_irr, io_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
