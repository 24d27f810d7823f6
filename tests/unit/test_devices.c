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

void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 status)
{
	vm->outcome = outcome;
	vm->exit_status = status;
}

void vm_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	vcpu->vm->outcome = VM_FAILED;
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
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_ports, setup),
		cmocka_unit_test_setup(test_debug_exit, setup),
		cmocka_unit_test_setup(test_pic_and_pci, setup),
		cmocka_unit_test_setup(test_fw_cfg, setup),
		cmocka_unit_test_setup(test_uart, setup),
		cmocka_unit_test_setup(test_testdev, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
