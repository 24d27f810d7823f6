/*
 * MMIO emulation re-checks the instruction it decodes (hv/devices/mmio.c,
 * mmio_exit): the exit names the guest-physical address that faulted, but
 * the bytes at RIP and the guest's page tables are read afterwards, and
 * another vCPU may have changed either in between. Only an instruction
 * whose memory operand translates to that very address may be emulated;
 * anything else stops the VM before a device sees an access.
 *
 * Guards issue 13, finding 6 (b): the race cannot be reproduced on demand,
 * so these tests build its outcome directly: guest RAM holding page tables
 * and code that no longer match the exit. With the check removed
 * (`|| decoded != gpa` dropped from mmio_exit) the two "changed" tests
 * fail: the device sees the access ("1 != 0") and the VM runs on.
 */
#include "tests/unit/unit.h"
#include <string.h>
#include <stdio.h>
#include <stdarg.h>

#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm_memory.h"
#include "hv/devices/mmio.h"
#include "hv/devices/isa_irq.h"
#include "hv/devices/pc_testdev.h"
#include "hv/devices/vlapic.h"

/* --- guest RAM: 64 KiB at guest-physical 0, the rest is no RAM --- */
static u8 ram[0x10000];

bool guest_ram_read(void *vm, u64 gpa, void *buf, u64 len)
{
	if (gpa >= sizeof(ram) || len > sizeof(ram) - gpa)
		return false;
	memcpy(buf, ram + gpa, len);
	return true;
}

bool guest_ram_write(void *vm, u64 gpa, const void *buf, u64 len)
{
	if (gpa >= sizeof(ram) || len > sizeof(ram) - gpa)
		return false;
	memcpy(ram + gpa, buf, len);
	return true;
}

bool vm_read_gpa(struct vm *vm, u64 gpa, void *buf, u64 len) { return guest_ram_read(vm, gpa, buf, len); }
bool vm_gpa_is_rom(struct vm *vm, u64 gpa) { return false; }

/* --- the test device records what reaches it; the other devices must never be reached --- */
static u32 dev_reads, dev_writes;
static u64 dev_last_offset, dev_last_value;

u64 testdev_read(struct vcpu *vcpu, u64 offset, u8 size)
{
	dev_reads++;
	dev_last_offset = offset;
	return 0x1122334455667788ull;
}

void testdev_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value)
{
	dev_writes++;
	dev_last_offset = offset;
	dev_last_value = value;
}

u64 isa_ioapic_read(struct vcpu *vcpu, u64 offset, u8 size) { fail(); return 0; }
void isa_ioapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value) { fail(); }
u64 pc_testdev_iomem_read(struct vcpu *vcpu, u64 offset, u8 size) { fail(); return 0; }
void pc_testdev_iomem_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value) { fail(); }
bool pc_testdev_present(const struct vm *vm) { return false; }
bool vlapic_mmio_at(const struct vcpu *vcpu, u64 gpa) { return false; }
u64 vlapic_read(struct vcpu *vcpu, u64 offset, u8 size) { fail(); return 0; }
void vlapic_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value) { fail(); }

/* --- the VM and the backend --- */
static char fail_message[256];
void vm_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fail_message, sizeof(fail_message), fmt, ap);
	va_end(ap);
	vcpu->vm->outcome = VM_FAILED;
}

void inject_exception(struct vcpu *vcpu, u8 vector, bool has_error_code, u32 error_code) { fail(); }

static struct vcpu_sregs sregs;
static void get_sregs(struct vcpu *vcpu, struct vcpu_sregs *s) { *s = sregs; }
static void set_sregs(struct vcpu *vcpu, const struct vcpu_sregs *s) { sregs = *s; }
static const struct vendor_ops test_ops = { .name = "test", .get_sregs = get_sregs, .set_sregs = set_sregs };
const struct vendor_ops *vendor = &test_ops;

static struct vm vm;
static struct vcpu *vcpu = &vm.vcpus[0];

/*
 * Long mode, CPL 0. PML4 at 0x1000, PDPT at 0x2000 mapping the low 4 GiB
 * with 1 GiB pages, identity but for the second GiB (pdpt_gib1), code at
 * RIP = 0x4000.
 */
#define PML4 0x1000
#define PDPT 0x2000
#define CODE 0x4000
#define GIB (1ull << 30)
#define PTE_FLAGS (PTE_P | PTE_W)

static void set_u64(u64 gpa, u64 v) { memcpy(ram + gpa, &v, 8); }

static void map_gib1_to(u64 pa) { set_u64(PDPT + 8, pa | PTE_FLAGS | PTE_PS); }

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(ram, 0, sizeof(ram));
	memset(&sregs, 0, sizeof(sregs));
	vcpu->vm = &vm;
	dev_reads = dev_writes = 0;
	dev_last_offset = dev_last_value = 0;
	fail_message[0] = '\0';

	set_u64(PML4, PDPT | PTE_FLAGS);
	for (u64 i = 0; i < 4; i++)
		set_u64(PDPT + 8 * i, i * GIB | PTE_FLAGS | PTE_PS);
	sregs.cr0 = CR0_PE | CR0_PG;
	sregs.cr3 = PML4;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	sregs.seg[SEG_CS] = (struct vcpu_segment){ .selector = 0x18, .limit = ~0u, .type = 0xB, .s = 1,
						   .present = 1, .l = 1 };
	for (int i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS)
			sregs.seg[i] = (struct vcpu_segment){ .selector = 0x10, .limit = ~0u, .type = 0x3,
							      .s = 1, .present = 1, .db = 1 };
	vcpu->regs.rip = CODE;
	return 0;
}

/* Guest code at RIP. */
static void code(const u8 *bytes, size_t n) { memcpy(ram + CODE, bytes, n); }

static const u8 load_rax_rbx_8[] = { 0x48, 0x8b, 0x43, 0x08 };     /* mov 0x8(%rbx), %rax */
static const u8 store_rax_rbx_8[] = { 0x48, 0x89, 0x43, 0x08 };    /* mov %rax, 0x8(%rbx) */
static const u8 store_rax_rbx_0x10[] = { 0x48, 0x89, 0x43, 0x10 }; /* mov %rax, 0x10(%rbx) */

/* Control: the instruction at RIP reads the address that faulted, and is emulated. */
static void test_matching_load_is_emulated(void **state)
{
	code(load_rax_rbx_8, sizeof(load_rax_rbx_8));
	vcpu->regs.gpr[GPR_RBX] = TESTDEV_BASE;
	mmio_exit(vcpu, TESTDEV_BASE + 8, false);
	assert_int_not_equal(vm.outcome, VM_FAILED);
	assert_int_equal(dev_reads, 1);
	assert_int_equal(dev_last_offset, 8);
	assert_int_equal(vcpu->regs.gpr[GPR_RAX], 0x1122334455667788ull);
	assert_int_equal(vcpu->regs.rip, CODE + sizeof(load_rax_rbx_8));
}

/* Control: the check compares guest-physical addresses, not linear ones. */
static void test_matching_store_through_alias_is_emulated(void **state)
{
	map_gib1_to(3 * GIB); /* linear 1-2 GiB -> the device's GiB */
	code(store_rax_rbx_8, sizeof(store_rax_rbx_8));
	vcpu->regs.gpr[GPR_RBX] = TESTDEV_BASE - 2 * GIB;
	vcpu->regs.gpr[GPR_RAX] = 0xABCD;
	mmio_exit(vcpu, TESTDEV_BASE + 8, true);
	assert_int_not_equal(vm.outcome, VM_FAILED);
	assert_int_equal(dev_writes, 1);
	assert_int_equal(dev_last_offset, 8);
	assert_int_equal(dev_last_value, 0xABCD);
	assert_int_equal(vcpu->regs.rip, CODE + sizeof(store_rax_rbx_8));
}

/* The store to +8 faulted; meanwhile the code at RIP became a store to +0x10. */
static void test_code_changed_is_not_emulated(void **state)
{
	code(store_rax_rbx_0x10, sizeof(store_rax_rbx_0x10));
	vcpu->regs.gpr[GPR_RBX] = TESTDEV_BASE;
	vcpu->regs.gpr[GPR_RAX] = 0xABCD;
	mmio_exit(vcpu, TESTDEV_BASE + 8, true);
	assert_int_equal(dev_writes + dev_reads, 0);
	assert_int_equal(vm.outcome, VM_FAILED);
	assert_non_null(strstr(fail_message, "does not access 0xfeb00008"));
	assert_int_equal(vcpu->regs.rip, CODE);
}

/* The store through the alias faulted on the device; meanwhile the guest remapped that GiB to RAM. */
static void test_page_tables_changed_is_not_emulated(void **state)
{
	map_gib1_to(0);
	code(store_rax_rbx_8, sizeof(store_rax_rbx_8));
	vcpu->regs.gpr[GPR_RBX] = TESTDEV_BASE - 2 * GIB;
	vcpu->regs.gpr[GPR_RAX] = 0xABCD;
	mmio_exit(vcpu, TESTDEV_BASE + 8, true);
	assert_int_equal(dev_writes + dev_reads, 0);
	assert_int_equal(vm.outcome, VM_FAILED);
	assert_non_null(strstr(fail_message, "does not access 0xfeb00008"));
	assert_int_equal(vcpu->regs.rip, CODE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_matching_load_is_emulated, setup),
		cmocka_unit_test_setup(test_matching_store_through_alias_is_emulated, setup),
		cmocka_unit_test_setup(test_code_changed_is_not_emulated, setup),
		cmocka_unit_test_setup(test_page_tables_changed_is_not_emulated, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
