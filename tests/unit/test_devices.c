/* The guest's port and MMIO devices (hv/devices/io.c, uart.c, fw_cfg.c, testdev.c, vlapic.c) and its console. */
#include "tests/unit/unit.h"
#include <string.h>
#include <stdio.h>
#include <stdarg.h>

#include "hv/vm/vm.h"
#include "hv/devices/io.h"
#include "hv/devices/mmio.h"
#include "hv/devices/vlapic.h"

/* --- what the devices call outside themselves --- */
static char console[1024];
static size_t console_len;
void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	console_len += vsnprintf(console + console_len, sizeof(console) - console_len, fmt, ap);
	va_end(ap);
}

void console_write(const char *s, size_t n)
{
	n = n < sizeof(console) - 1 - console_len ? n : sizeof(console) - 1 - console_len;
	memcpy(console + console_len, s, n);
	console[console_len += n] = '\0';
}

void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 status)
{
	vm->outcome = outcome;
	vm->exit_status = status;
}

void vm_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	vcpu->vm->outcome = VM_FAILED;
}

/* INIT and SIPI as the local APIC posts them: which vCPUs got what (hv/vm/vcpu_mp.c). */
static u32 inits, sipis, sipi_vector;
void vcpu_send_init(struct vcpu *target) { inits |= 1u << target->id; }
void vcpu_send_sipi(struct vcpu *target, u8 vector) { sipis |= 1u << target->id; sipi_vector = vector; }

/* IRQ 4 as the UART drives it: the level and the rising edges (hv/devices/uart.h). */
static bool irq4;
static u32 irq4_edges;
void isa_irq_set(struct vm *vm, u32 irq, bool level)
{
	assert_int_equal(irq, 4);
	irq4_edges += level && !irq4;
	irq4 = level;
}

static struct vm vm;
static struct vcpu *vcpu0 = &vm.vcpus[0];
static struct vm_config cfg = { .name = "t" };

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.name = "t";
	vm.ram_bytes = 16 << 20;
	vm.nvcpus = 4;
	for (u32 i = 0; i < vm.nvcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vlapic_reset(&vm.vcpus[i]);
	}
	inits = sipis = sipi_vector = 0;
	irq4 = false;
	irq4_edges = 0;
	console_len = 0;
	console[0] = '\0';
	return 0;
}

static void test_unknown_ports(void **state)
{
	assert_int_equal(io_read(&vm, 0x80, 1), 0xff);
	assert_int_equal(io_read(&vm, 0x80, 2), 0xffff);
	assert_int_equal(io_read(&vm, 0x1234, 4), 0xffffffffu);
	io_write(&vm, 0x80, 1, 0x12);
	assert_int_equal(vm.stats.unknown_port_reads, 3);
	assert_int_equal(vm.stats.unknown_port_writes, 1);
}

static void test_debug_exit(void **state)
{
	io_write(&vm, 0xf4, 4, 0x1234);
	assert_int_equal(vm.outcome, VM_EXITED);
	assert_int_equal(vm.exit_status, 0x1234);
	assert_int_equal(vm.stats.unknown_port_writes, 0);
}

static void test_pic_and_pci(void **state)
{
	io_write(&vm, 0x21, 1, 0xfb);
	io_write(&vm, 0xa1, 1, 0xff);
	assert_int_equal(io_read(&vm, 0x21, 1), 0xfb);
	assert_int_equal(io_read(&vm, 0xa1, 1), 0xff);
	io_write(&vm, 0xcf8, 4, 0x80000000);
	assert_int_equal(io_read(&vm, 0xcf8, 4), 0x80000000);
	assert_int_equal(io_read(&vm, 0xcfc, 4), 0xffffffffu);
	assert_int_equal(io_read(&vm, 0xcfe, 2), 0xffff);
	assert_int_equal(vm.stats.unknown_port_reads, 0);
}

static u64 fw_cfg_item(u16 key, int bytes)
{
	u64 v = 0;
	io_write(&vm, 0x510, 2, key);
	for (int i = 0; i < bytes; i++)
		v |= (u64)io_read(&vm, 0x511, 1) << (8 * i);
	return v;
}

static void test_fw_cfg(void **state)
{
	assert_int_equal(fw_cfg_item(0x0000, 4), 0x554d4551); /* "QEMU" */
	assert_int_equal(fw_cfg_item(0x0001, 4), 1);
	assert_int_equal(fw_cfg_item(0x0003, 8), 16 << 20);
	assert_int_equal(fw_cfg_item(0x0005, 2), 4); /* the vCPUs */
	assert_int_equal(fw_cfg_item(0x000f, 2), 4);
	assert_int_equal(fw_cfg_item(0x0042, 8), 0);        /* unknown key */
	assert_int_equal(fw_cfg_item(0x0005, 4), 4);        /* past the end: zeros */
}

static void test_uart(void **state)
{
	const char *text = "ok 1 - a\r\nnot ok 2 - b\nno newline";
	assert_int_equal(io_read(&vm, 0x3fd, 1) & 0x60, 0x60); /* transmitter empty */
	for (const char *p = text; *p; p++)
		io_write(&vm, 0x3f8, 1, (u8)*p);
	assert_string_equal(console, "[t] ok 1 - a\n[t] not ok 2 - b\n");
	guest_console_flush(&vm);
	assert_string_equal(console, "[t] ok 1 - a\n[t] not ok 2 - b\n[t] no newline\n");
	assert_int_equal(vm.tap.passed, 1);
	assert_int_equal(vm.tap.failed, 1);

	io_write(&vm, 0x3fb, 1, 0x80); /* DLAB: data port is the divisor latch */
	io_write(&vm, 0x3f8, 1, 0x01);
	io_write(&vm, 0x3fb, 1, 0x03);
	assert_int_equal(vm.uart.dll, 1);
	assert_int_equal(io_read(&vm, 0x3fb, 1), 0x03);
	assert_int_equal(console_len, strlen("[t] ok 1 - a\n[t] not ok 2 - b\n[t] no newline\n"));
}

#define COM1 0x3f8
static u8 uart_in(int reg) { return (u8)io_read(&vm, COM1 + reg, 1); }
static void uart_out(int reg, u8 v) { io_write(&vm, COM1 + reg, 1, v); }

/* What Linux's 8250 probe checks: scratch, IER, loopback modem lines, a 16550A's FIFO bits. */
static void test_uart_probe(void **state)
{
	uart_out(7, 0xa5);
	assert_int_equal(uart_in(7), 0xa5);
	uart_out(1, 0xff);
	assert_int_equal(uart_in(1), 0x0f);   /* IER keeps bits 3:0 */
	uart_out(1, 0);
	assert_int_equal(uart_in(2), 0x01);   /* no interrupt, FIFOs off */
	uart_out(4, 0x10 | 0x0a);             /* loopback with RTS and OUT2 */
	assert_int_equal(uart_in(6) & 0xf0, 0x90); /* CTS and DCD, as wired back */
	uart_out(4, 0x10 | 0x0f);
	assert_int_equal(uart_in(6), 0xf0 | 0x02); /* all four, and DSR changed */
	assert_int_equal(uart_in(6), 0xf0);        /* deltas clear on read */
	uart_out(4, 0x10 | 0x0b);                  /* OUT1 (RI) falls: trailing edge */
	assert_int_equal(uart_in(6), 0xb0 | 0x04);
	uart_out(4, 0x03);
	assert_int_equal(uart_in(6) & 0xf0, 0xb0); /* out of loopback: a ready terminal */
	uart_out(2, 0xc7);                         /* FIFOs on, cleared, trigger 14 */
	assert_int_equal(uart_in(2), 0xc1);
	assert_int_equal(uart_in(5), 0x60);
	uart_out(3, 0x80);                          /* DLAB: divisor latch at 0 and 1 */
	uart_out(0, 0x0c);
	uart_out(1, 0x00);
	assert_int_equal(uart_in(0), 0x0c);
	uart_out(3, 0x03);
	assert_int_equal(uart_in(3), 0x03);
	assert_int_equal(console_len, 0);           /* nothing was sent */
	assert_false(irq4);
}

/* Received bytes: DR, the FIFO in order, the data interrupt at the trigger level, overrun. */
static void test_uart_receive(void **state)
{
	const u8 *typed = (const u8 *)"ls -l\r";

	assert_int_equal(uart_receive(&vm, typed, 2), 1); /* FIFOs off: one byte */
	assert_int_equal(uart_in(5), 0x61);
	assert_int_equal(uart_in(0), 'l');
	assert_int_equal(uart_in(5), 0x60);
	uart_out(2, 0x41);                                /* FIFOs on, trigger at 4 bytes */
	uart_out(1, 0x01);                                /* data interrupts */
	assert_int_equal(uart_receive(&vm, typed, 2), 2);
	assert_true(irq4);                                /* below the trigger: a character timeout */
	assert_int_equal(uart_in(2), 0xcc);
	assert_int_equal(uart_receive(&vm, typed + 2, 4), 4);
	assert_int_equal(uart_in(2), 0xc4);               /* at the trigger: data available */
	for (int i = 0; i < 6; i++)
		assert_int_equal(uart_in(0), typed[i]);
	assert_false(irq4);                               /* drained: the line drops */
	assert_int_equal(uart_in(2), 0xc1);
	u8 many[20];
	memset(many, 'x', sizeof(many));
	assert_int_equal(uart_receive(&vm, many, sizeof(many)), 16);
	assert_int_equal(uart_receive(&vm, many, 1), 0);  /* full */
	uart_out(2, 0x03);                                /* cleared */
	assert_int_equal(uart_in(5) & 0x01, 0);
	uart_out(4, 0x10);                                /* loopback: THR comes back, the line is cut */
	uart_out(0, 'q');
	assert_int_equal(uart_receive(&vm, many, 1), 0);
	assert_int_equal(uart_in(0), 'q');
	assert_int_equal(console_len, 0);
}

/* THR-empty interrupts: on enabling, after each byte sent (a new edge), gone once IIR names them. */
static void test_uart_thre_interrupt(void **state)
{
	uart_out(1, 0x02);
	assert_true(irq4);
	assert_int_equal(irq4_edges, 1);
	assert_int_equal(uart_in(2), 0x02);
	assert_false(irq4);                /* reading IIR that named it clears it */
	assert_int_equal(uart_in(2), 0x01);
	uart_out(0, 'a');
	assert_true(irq4);
	assert_int_equal(irq4_edges, 2);
	uart_out(0, 'b');                  /* pending: lowered and raised again */
	assert_int_equal(irq4_edges, 3);
	uart_out(1, 0x03);                 /* received data outranks THR empty */
	uart_receive(&vm, (const u8 *)"z", 1);
	assert_int_equal(uart_in(2), 0x04);
	assert_int_equal(uart_in(0), 'z');
	assert_int_equal(uart_in(2), 0x02);
	uart_out(1, 0x00);
	assert_false(irq4);
	uart_out(4, 0x10);                 /* modem status interrupt: a delta with IER.MSI */
	uart_out(1, 0x08);
	uart_out(4, 0x12);
	assert_true(irq4);
	assert_int_equal(uart_in(2), 0x00);
	uart_in(6);
	assert_false(irq4);
	uart_out(1, 0x04);                 /* line status: an overrun (two bytes looped back, FIFOs off) */
	uart_out(0, '1');
	assert_false(irq4);
	uart_out(0, '2');
	assert_true(irq4);
	assert_int_equal(uart_in(2), 0x06);
	assert_int_equal(uart_in(5), 0x63);
	assert_false(irq4);
}

/* The VM that owns console input prints raw: a prompt without a newline shows at once; TAP still counts. */
static void test_guest_console_raw(void **state)
{
	const char *out = "ok 1 - booted\r\n/ # ";

	vm.console.raw = true;
	for (const char *p = out; *p; p++)
		io_write(&vm, 0x3f8, 1, (u8)*p);
	assert_string_equal(console, out);
	assert_int_equal(vm.tap.passed, 1);
	guest_console_flush(&vm);
	assert_string_equal(console, out); /* nothing printed twice */
}

static void test_testdev(void **state)
{
	assert_int_equal(testdev_read(vcpu0, TESTDEV_ID, 8), TESTDEV_ID_VALUE);
	assert_int_equal(testdev_read(vcpu0, TESTDEV_ID + 4, 4), TESTDEV_ID_VALUE >> 32);
	testdev_write(vcpu0, TESTDEV_ID, 8, 0);                       /* read-only */
	assert_int_equal(testdev_read(vcpu0, TESTDEV_ID, 8), TESTDEV_ID_VALUE);

	testdev_write(vcpu0, TESTDEV_SCRATCH, 8, 0x1122334455667788ull);
	testdev_write(vcpu0, TESTDEV_SCRATCH + 2, 2, 0xabcd);
	assert_int_equal(testdev_read(vcpu0, TESTDEV_SCRATCH, 8), 0x11223344abcd7788ull);
	assert_int_equal(testdev_read(vcpu0, TESTDEV_SCRATCH + 7, 1), 0x11);

	testdev_write(vcpu0, TESTDEV_BYTE, 1, 0x5a);
	assert_int_equal(testdev_read(vcpu0, TESTDEV_BYTE, 1), 0x5a);
	assert_int_equal(testdev_read(vcpu0, TESTDEV_BYTE, 2), 0xffff);            /* wider than the register */
	assert_int_equal(testdev_read(vcpu0, TESTDEV_SCRATCH + 6, 4), 0xffffffffu); /* straddles two */
	assert_int_equal(testdev_read(vcpu0, 0x800, 4), 0xffffffffu);              /* between registers */
	testdev_write(vcpu0, TESTDEV_SCRATCH + 6, 4, 0);                          /* ignored */
	assert_int_equal(testdev_read(vcpu0, TESTDEV_SCRATCH, 8), 0x11223344abcd7788ull);
}

static void test_vlapic_registers(void **state)
{
	struct vcpu *v2 = &vm.vcpus[2];

	assert_int_equal(vlapic_read(v2, 0x20, 4), 2u << 24);      /* the APIC ID is the vCPU index */
	assert_int_equal(vlapic_read(v2, 0x30, 4) & 0xff, 0x14);   /* an integrated xAPIC */
	assert_int_equal(vlapic_read(v2, 0xf0, 4), 0xff);          /* SPIV after reset: disabled */
	assert_int_equal(vlapic_read(v2, 0x320, 4), 1u << 16);     /* LVT timer masked */
	vlapic_write(v2, 0x80, 4, 0x1234);
	assert_int_equal(vlapic_read(v2, 0x80, 4), 0x34);          /* TPR: 8 bits */
	vlapic_write(v2, 0xf0, 4, 0x1ff);
	assert_int_equal(vlapic_read(v2, 0xf0, 4), 0x1ff);
	vlapic_write(v2, 0x20, 4, 0x7u << 24);                     /* the ID stays */
	assert_int_equal(vlapic_read(v2, 0x20, 4), 2u << 24);
	vlapic_write(v2, 0xb0, 4, 0);                              /* EOI */
	assert_int_equal(vlapic_read(v2, 0x200, 4), 0);            /* IRR: nothing pending */
	assert_int_equal(vm.outcome, VM_RUNNING);
}

static void test_vlapic_init_sipi(void **state)
{
	vlapic_write(vcpu0, 0x310, 4, 0);
	vlapic_write(vcpu0, 0x300, 4, 0x000c4500);                 /* INIT, assert, all but self */
	assert_int_equal(inits, 0xe);
	vlapic_write(vcpu0, 0x300, 4, 0x000c0608);                 /* SIPI vector 8, all but self */
	assert_int_equal(sipis, 0xe);
	assert_int_equal(sipi_vector, 8);
	assert_int_equal(vlapic_read(vcpu0, 0x300, 4) & (1u << 12), 0); /* delivery status: idle */

	inits = sipis = 0;
	vlapic_write(vcpu0, 0x310, 4, 3u << 24);                   /* physical destination 3 */
	vlapic_write(vcpu0, 0x300, 4, 0x00004500);
	vlapic_write(vcpu0, 0x300, 4, 0x0000069a);
	assert_int_equal(inits, 1u << 3);
	assert_int_equal(sipis, 1u << 3);
	assert_int_equal(sipi_vector, 0x9a);
	vlapic_write(vcpu0, 0x310, 4, 9u << 24);                   /* no such vCPU: nobody accepts */
	vlapic_write(vcpu0, 0x300, 4, 0x00004500);
	assert_int_equal(inits, 1u << 3);
	vlapic_write(vcpu0, 0x300, 4, 0x000c0500);                 /* INIT de-assert: ignored */
	assert_int_equal(inits, 1u << 3);
	assert_int_equal(vm.outcome, VM_RUNNING);
}

/* What the model does not emulate stops the VM instead of being ignored. */
static void test_vlapic_refuses(void **state)
{
	static const struct { u64 offset; u8 size; u64 value; } bad[] = {
		{ 0x300, 4, 0x000c0030 },  /* a fixed IPI (interrupt delivery is not emulated) */
		{ 0x300, 4, 0x00044500 },  /* INIT to itself */
		{ 0x380, 4, 1000 },        /* the timer */
		{ 0x080, 1, 0 },           /* a byte access */
		{ 0x084, 4, 0 },           /* not on a register boundary */
		{ 0x400, 4, 0 },           /* no register there */
	};
	for (u32 i = 0; i < ARRAY_SIZE(bad); i++) {
		vm.outcome = VM_RUNNING;
		vlapic_write(vcpu0, bad[i].offset, bad[i].size, bad[i].value);
		assert_int_equal(vm.outcome, VM_FAILED);
	}
	assert_int_equal(inits | sipis, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_ports, setup),
		cmocka_unit_test_setup(test_debug_exit, setup),
		cmocka_unit_test_setup(test_pic_and_pci, setup),
		cmocka_unit_test_setup(test_fw_cfg, setup),
		cmocka_unit_test_setup(test_uart, setup),
		cmocka_unit_test_setup(test_uart_probe, setup),
		cmocka_unit_test_setup(test_uart_receive, setup),
		cmocka_unit_test_setup(test_uart_thre_interrupt, setup),
		cmocka_unit_test_setup(test_guest_console_raw, setup),
		cmocka_unit_test_setup(test_testdev, setup),
		cmocka_unit_test_setup(test_vlapic_registers, setup),
		cmocka_unit_test_setup(test_vlapic_init_sipi, setup),
		cmocka_unit_test_setup(test_vlapic_refuses, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
