/* The guest's port and MMIO devices (hv/devices/io.c, uart.c, fw_cfg.c, testdev.c) and its console (the local APIC: test_vlapic.c). */
#include "tests/unit/unit.h"
#include <string.h>
#include <stdio.h>
#include <stdarg.h>

#include "hv/vm/vm.h"
#include "hv/devices/io.h"
#include "hv/devices/mmio.h"

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

static char fail_message[160];
void vm_fail_device(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fail_message, sizeof(fail_message), fmt, ap);
	va_end(ap);
	vm->outcome = VM_FAILED;
}

/* The local APICs, as the interrupt routing (hv/devices/isa_irq.c) reaches them. */
static u32 delivered_vector, notified;
void vlapic_deliver(struct vm *vm, u32 dest, bool logical, enum apic_delivery mode, u8 vector, bool level_trig)
{
	delivered_vector = vector;
}
void vlapic_set_eoi_hook(void (*hook)(struct vm *vm, u8 vector)) {}
bool vlapic_accepts_extint(const struct vcpu *vcpu) { return vcpu->id == 0; }
void vcpu_mp_notify(struct vcpu *t) { notified |= 1u << t->id; }

/* The devices' clock: tests move it. */
static u64 now_ns;
u64 time_now_ns(void) { return now_ns; }
/* 2026-12-02 12:34:56 UTC (a Wednesday) at now_ns = 0. */
#define EPOCH_2026 1796214896ull
u64 wallclock_now(void) { return EPOCH_2026 + now_ns / 1000000000ull; }



static struct vm vm;
/* IRQ 4 as the UART drives it: the level and the rising edges (hv/devices/isa_irq.h). */
#define irq4 isa_irq_level(&vm, 4)
#define irq4_edges vm.isa_irq.edges[4]
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
	}
	now_ns = 1000000000ull;
	isa_irq_reset(&vm);
	pit_reset(&vm);
	acpi_pm_reset(&vm);
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

/* QEMU's pc-testdev: the latch by any size and offset, IRQ lines, absent when off. */
static void test_pc_testdev(void **state)
{
	assert_int_equal(io_read(&vm, 0xe0, 4), 0xffffffffu); /* off: unclaimed */
	assert_int_equal(vm.stats.unknown_port_reads, 1);
	vm.pc_testdev.enabled = true;
	io_write(&vm, 0xe0, 4, 0x11223344);
	io_write(&vm, 0xe2, 1, 0xaa);
	assert_int_equal(io_read(&vm, 0xe0, 4), 0x11aa3344);
	assert_int_equal(io_read(&vm, 0xe1, 2), 0xaa33);
	io_write(&vm, 0xeb, 1, 0x77);                       /* the byte window, same latch */
	assert_int_equal(io_read(&vm, 0xe8, 4), 0x77aa3344);
	io_write(&vm, 0xe4, 4, 0x1000);                     /* page flush: accepted */
	assert_int_equal(io_read(&vm, 0xe0, 4), 0x77aa3344);

	io_write(&vm, 0x2000 + 5, 1, 1);
	assert_true(isa_irq_level(&vm, 5));
	io_write(&vm, 0x2000 + 5, 1, 1);                    /* still high: no new edge */
	io_write(&vm, 0x2000 + 5, 1, 0);
	assert_false(isa_irq_level(&vm, 5));
	assert_int_equal(vm.isa_irq.edges[5], 1);
	io_write(&vm, 0x2000 + 23, 1, 0x80);
	assert_true(isa_irq_level(&vm, 23));
	assert_int_equal(vm.stats.unknown_port_writes, 0);
	assert_int_equal(vm.outcome, VM_RUNNING); /* the IOAPIC's pins are masked at reset */

	pc_testdev_iomem_write(vcpu0, 0xfffe, 8, 0x1122334455667788ull); /* runs over the end: 2 bytes */
	assert_int_equal(pc_testdev_iomem_read(vcpu0, 0xfffe, 2), 0x7788);
	assert_int_equal(pc_testdev_iomem_read(vcpu0, 0xfffe, 8), 0x7788);
}

#define MS (1000000ull)
/* 8254: mode 2 on channel 0, the counter latch, read-back, mode 0 on channel 2 with its gate. */
static void test_pit(void **state)
{
	io_write(&vm, 0x43, 1, 0x34);          /* ch0, LSB then MSB, mode 2 */
	io_write(&vm, 0x40, 1, 1193 & 0xff);   /* 1 ms */
	io_write(&vm, 0x40, 1, 1193 >> 8);
	now_ns += MS / 2;                      /* half way: ~596 ticks counted */
	io_write(&vm, 0x43, 1, 0x00);          /* latch channel 0 */
	now_ns += 10 * MS;                     /* the latch holds */
	u32 lo = io_read(&vm, 0x40, 1), hi = io_read(&vm, 0x40, 1);
	assert_int_equal(lo | hi << 8, 1193 - 596);
	io_write(&vm, 0x43, 1, 0xe2);          /* read-back: count and status of channel 0 */
	assert_int_equal(io_read(&vm, 0x40, 1), 0xb4); /* status first: output high, LSB/MSB, mode 2 */
	lo = io_read(&vm, 0x40, 1), hi = io_read(&vm, 0x40, 1);
	assert_true((lo | hi << 8) >= 1 && (lo | hi << 8) <= 1193);

	io_write(&vm, 0x61, 1, 0);             /* channel 2, gate low: mode 0 does not count */
	io_write(&vm, 0x43, 1, 0xb0);          /* ch2, LSB then MSB, mode 0 */
	io_write(&vm, 0x42, 1, 0x9b);          /* 59659 ticks = 50 ms */
	io_write(&vm, 0x42, 1, 0xe9);
	now_ns += 100 * MS;
	assert_false(io_read(&vm, 0x61, 1) & 0x20);
	io_write(&vm, 0x61, 1, 1);             /* gate high: counting starts */
	now_ns += 49 * MS;
	assert_false(io_read(&vm, 0x61, 1) & 0x20);
	now_ns += 2 * MS;
	assert_true(io_read(&vm, 0x61, 1) & 0x20); /* OUT2 high at terminal count */
	assert_int_equal(io_read(&vm, 0x61, 1) & 3, 1);

	io_write(&vm, 0x43, 1, 0x12);          /* mode 1: not provided */
	assert_int_equal(vm.outcome, VM_FAILED);
	assert_string_equal(fail_message, "PIT channel 0: mode 1 is not provided (0, 2 and 3 are)");
}

/* ACPI PM1a: SCI_EN reads 1, status is write-1-to-clear, S5 powers off, 0xCF9 resets. */
static void test_acpi_pm(void **state)
{
	assert_int_equal(io_read(&vm, 0x604, 2) & 1, 1);
	vm.acpi_pm.pm1_sts = 0x0101;
	io_write(&vm, 0x600, 2, 0x0001);
	assert_int_equal(io_read(&vm, 0x600, 2), 0x0100);
	io_write(&vm, 0x602, 2, 0x0120);
	assert_int_equal(io_read(&vm, 0x600, 4), 0x01200100);
	u32 t0 = io_read(&vm, 0x608, 4);
	now_ns += 1000 * MS;
	assert_int_equal((io_read(&vm, 0x608, 4) - t0) & 0xffffff, 3579545);
	io_write(&vm, 0x606, 2, 0xffff);       /* the gap between PM1a control and the timer (the guest fuzzer's host #PF) */
	assert_int_equal(io_read(&vm, 0x606, 2), 0xffff);
	assert_int_equal(io_read(&vm, 0x605, 2), 0xff00 | (io_read(&vm, 0x605, 1) & 0xff));
	io_write(&vm, 0xcf9, 1, 0x02);         /* SYS_RST alone: no reset */
	assert_int_equal(vm.outcome, VM_RUNNING);
	io_write(&vm, 0x604, 2, (5 << 10) | (1 << 13));
	assert_int_equal(vm.outcome, VM_EXITED);
	assert_int_equal(vm.exit_status, 0);
	vm.outcome = VM_RUNNING;
	io_write(&vm, 0xcf9, 1, 0x06);
	assert_int_equal(vm.outcome, VM_RESET);
}

static u8 cmos(u8 index)
{
	io_write(&vm, 0x70, 1, index);
	return (u8)io_read(&vm, 0x71, 1);
}

static void cmos_set(u8 index, u8 v)
{
	io_write(&vm, 0x70, 1, index);
	io_write(&vm, 0x71, 1, v);
}

/* The RTC: BCD then binary and 12-hour, setting the time, UIP, flags of C, the memory bytes. */
static void test_rtc(void **state)
{
	now_ns = 0;
	rtc_reset(&vm);
	assert_int_equal(cmos(0x00), 0x56);
	assert_int_equal(cmos(0x02), 0x34);
	assert_int_equal(cmos(0x04), 0x12);
	assert_int_equal(cmos(0x07), 0x02);
	assert_int_equal(cmos(0x08), 0x12);
	assert_int_equal(cmos(0x09), 0x26);
	assert_int_equal(cmos(0x32), 0x20);
	assert_int_equal(cmos(0x06), 4);              /* Wednesday */
	assert_int_equal(cmos(0x0d), 0x80);
	cmos_set(0x0b, 0x06);                          /* binary, 24 hours */
	assert_int_equal(cmos(0x00), 56);
	cmos_set(0x0b, 0x04);                          /* binary, 12 hours */
	assert_int_equal(cmos(0x04), 12 | 0x80);       /* 12 PM */
	cmos_set(0x0b, 0x86);                          /* SET, binary, 24 hours */
	cmos_set(0x04, 7);
	cmos_set(0x0b, 0x06);
	assert_int_equal(cmos(0x04), 7);
	now_ns += 1000000000ull;
	assert_int_equal(cmos(0x00), 57);              /* advancing */
	now_ns = 5 * 1000000000ull - 100000;           /* 100 us before a second: update in progress */
	assert_true(cmos(0x0a) & 0x80);
	now_ns += 200000;
	assert_false(cmos(0x0a) & 0x80);
	cmos_set(0x0b, 0x06 | 0x10);                   /* UIE */
	cmos(0x0c);
	now_ns += 1000000000ull;
	assert_int_equal(cmos(0x0c) & 0x90, 0x90);     /* UF and IRQF */
	assert_true(vm.isa_irq.edges[8] >= 1);
	assert_int_equal(cmos(0x0c), 0);               /* cleared by the read */
	io_write(&vm, 0x70, 1, 0x80 | 0x34);           /* NMI disable bit kept apart from the index */
	assert_true(vm.rtc.nmi_disabled);
	assert_int_equal(io_read(&vm, 0x71, 1), 0);    /* 16 MiB: nothing above 16 MiB */
	assert_int_equal(cmos(0x17) | cmos(0x18) << 8, 15 * 1024);
	assert_int_equal(cmos(0x5f), vm.nvcpus - 1);
}

/* ISA lines reach the 8259 (ExtINT to the vCPUs that take it) and the I/O APIC (IRQ0 on pin 2). */
static void test_isa_irq_routing(void **state)
{
	static const u8 pic_init[][2] = { { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 },
					  { 0xa0, 0x11 }, { 0xa1, 0x28 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
					  { 0x21, 0xf7 }, { 0xa1, 0xff } }; /* only IRQ3 unmasked */
	for (u32 i = 0; i < ARRAY_SIZE(pic_init); i++)
		io_write(&vm, pic_init[i][0], 1, pic_init[i][1]);
	vm.pc_testdev.enabled = true;
	notified = 0;
	io_write(&vm, 0x2000 + 4, 1, 1); /* masked at the 8259 */
	assert_false(isa_irq_extint_pending(vcpu0));
	io_write(&vm, 0x2000 + 3, 1, 1);
	assert_true(isa_irq_extint_pending(vcpu0));
	assert_false(isa_irq_extint_pending(&vm.vcpus[1])); /* its LINT0 takes no ExtINT */
	assert_int_equal(notified, 1);
	assert_int_equal(isa_irq_extint_ack(vcpu0), 0x23);
	assert_false(isa_irq_extint_pending(vcpu0));
	assert_int_equal(io_read(&vm, 0x21, 1), 0xf7);

	/* I/O APIC pin 2 (ISA IRQ0): vector 0x51, unmasked, edge, physical destination 1. */
	isa_ioapic_write(vcpu0, 0x00, 4, 0x15);
	isa_ioapic_write(vcpu0, 0x10, 4, 1u << 24);
	isa_ioapic_write(vcpu0, 0x00, 4, 0x14);
	isa_ioapic_write(vcpu0, 0x10, 4, 0x51);
	assert_int_equal(isa_ioapic_read(vcpu0, 0x10, 4), 0x51);
	delivered_vector = 0;
	isa_irq_set(&vm, 0, true);
	assert_int_equal(delivered_vector, 0x51);
}

/* A guest's escape sequences never reach the terminal; a flood is cut to the line budget. */
static void test_console_filter_and_rate(void **state)
{
	static const char esc[] = "a\x1b[2J\x07" "b\x9b\n";
	guest_console_init(&vm, 2); /* 2 lines per second, bursts of 4 */
	guest_console_write(&vm, esc, sizeof(esc) - 1);
	assert_string_equal(console, "[t] a?[2J?b?\n");
	assert_int_equal(vm.stats.console_filtered, 3);

	char flood[10];
	memset(flood, '\n', sizeof(flood));
	guest_console_write(&vm, flood, sizeof(flood)); /* 3 tokens left: 7 dropped */
	assert_int_equal(vm.stats.console_dropped, 7);
	now_ns += 1000000000ull;                      /* one second: 2 more lines */
	guest_console_write(&vm, "ok 1 - x\n", 9);
	assert_non_null(strstr(console, "[t] hv: 7 console line(s) not printed (console_rate=2 lines/s)\n[t] ok 1 - x\n"));
	assert_int_equal(vm.tap.passed, 1);           /* counted even when the budget is gone */
	guest_console_write(&vm, flood, 3);           /* 1 printed, 2 dropped */
	assert_int_equal(vm.stats.console_dropped, 9);
	guest_console_init(&vm, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_ports, setup),
		cmocka_unit_test_setup(test_debug_exit, setup),
		cmocka_unit_test_setup(test_pic_and_pci, setup),
		cmocka_unit_test_setup(test_fw_cfg, setup),
		cmocka_unit_test_setup(test_uart, setup),
		cmocka_unit_test_setup(test_console_filter_and_rate, setup),
		cmocka_unit_test_setup(test_uart_probe, setup),
		cmocka_unit_test_setup(test_uart_receive, setup),
		cmocka_unit_test_setup(test_uart_thre_interrupt, setup),
		cmocka_unit_test_setup(test_guest_console_raw, setup),
		cmocka_unit_test_setup(test_testdev, setup),
		cmocka_unit_test_setup(test_pc_testdev, setup),
		cmocka_unit_test_setup(test_isa_irq_routing, setup),
		cmocka_unit_test_setup(test_pit, setup),
		cmocka_unit_test_setup(test_acpi_pm, setup),
		cmocka_unit_test_setup(test_rtc, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
