/*
 * The CPL that SVM's get_sregs hands the core (svm/svm_state.c) and the
 * hypercall privilege check built on it (hv/vm/hypercall.c, `s.cpl != 0`).
 *
 * Guards issue 13, finding 6 (d): on SVM the CPU's privilege level is the
 * VMCB's CPL field (APM vol. 2, appendix B: save area offset 0CBh, loaded
 * by VMRUN and saved by #VMEXIT), and SS.DPL need not match it. A
 * get_sregs that took the CPL from the SS attributes would let CPL 3 code
 * with an SS.DPL of 0 make hypercalls and refuse a CPL 0 kernel whose SS.DPL
 * is 3. Removals seen to fail the first two tests: in svm_get_sregs
 * `sregs->cpl = save->cpl` -> `sregs->seg[SEG_SS].dpl` (at the cpl
 * asserts), and in hypercall_exit `s.cpl != 0` -> `s.seg[SEG_SS].dpl != 0`
 * (at the RAX asserts).
 *
 * VT-x has no such field and needs none: "the value of the DPL field for SS
 * is always equal to the logical processor's CPL" (SDM vol. 3C, 24.4.1,
 * guest register state), so vmx_get_sregs derives it from SS.
 */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "svm/svm.h"

/* --- what hypercall.c calls outside itself; HC_VERSION needs none of it --- */
bool vm_gpa_is_ram(struct vm *vm, u64 gpa, u64 len) { return false; }
bool vm_read_gpa(struct vm *vm, u64 gpa, void *buf, u64 len) { return false; }
bool vm_write_gpa(struct vm *vm, u64 gpa, const void *buf, u64 len) { return false; }
void guest_console_write(struct vm *vm, const char *buf, size_t len) {}
void vm_stats_update(struct vm *vm) {}
void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 status) { vm->outcome = outcome; }
s64 vm_memory_memslot_call(struct vm *vm, u64 ops_gpa, u64 count, u64 *bad) { return HC_ENOSYS; }
u64 vm_memory_mapping_kib(struct vcpu *vcpu, u64 gpa) { return 0; }

/* The backend under test: only get_sregs is reached. */
static const struct vendor_ops test_svm_ops = { .name = "svm", .get_sregs = svm_get_sregs };
const struct vendor_ops *vendor = &test_svm_ops;

static struct vm vm;
static struct vcpu *vcpu = &vm.vcpus[0];
static struct vmcb vmcb;
static struct svm_vcpu svm = { .vmcb = &vmcb };

#define ATTR_CODE64 (0xB | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L) /* execute/read, accessed */
#define ATTR_DATA (0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB)   /* read/write, accessed */

/* A vCPU in 64-bit mode whose VMCB says CPL `cpl` and whose SS descriptor has DPL `ss_dpl`. */
static void guest_at(u8 cpl, u8 ss_dpl)
{
	memset(&vm, 0, sizeof(vm));
	memset(&vmcb, 0, sizeof(vmcb));
	vcpu->vm = &vm;
	vcpu->vendor = &svm;
	vmcb.save.cr0 = CR0_PE | CR0_PG;
	vmcb.save.cr4 = CR4_PAE;
	vmcb.save.efer = EFER_SVME | EFER_LME | EFER_LMA;
	vmcb.save.cs.attrib = ATTR_CODE64 | (cpl << 5);
	vmcb.save.ss.attrib = ATTR_DATA | (ss_dpl << 5);
	vmcb.save.cpl = cpl;
	vcpu->regs.gpr[GPR_RAX] = HC_VERSION;
	vcpu->regs.gpr[GPR_RBX] = 0x5a5a;
}

static void test_cpl_3_with_ss_dpl_0_is_refused(void **state)
{
	struct vcpu_sregs s;
	guest_at(3, 0);
	svm_get_sregs(vcpu, &s);
	assert_int_equal(s.cpl, 3);
	assert_int_equal(s.seg[SEG_SS].dpl, 0);
	assert_true(hypercall_exit(vcpu));
	assert_int_equal(vcpu->regs.gpr[GPR_RAX], (u64)HC_EPERM);
	assert_int_equal(vcpu->regs.gpr[GPR_RBX], 0x5a5a); /* HC_VERSION did not run */
}

static void test_cpl_0_with_ss_dpl_3_is_served(void **state)
{
	struct vcpu_sregs s;
	guest_at(0, 3);
	svm_get_sregs(vcpu, &s);
	assert_int_equal(s.cpl, 0);
	assert_int_equal(s.seg[SEG_SS].dpl, 3);
	assert_true(hypercall_exit(vcpu));
	assert_int_equal(vcpu->regs.gpr[GPR_RAX], HC_OK);
	assert_int_equal(vcpu->regs.gpr[GPR_RBX], HC_ABI_VERSION);
}

/* The ordinary cases, where SS.DPL and CPL agree: CPL 3 refused, CPL 0 served. */
static void test_matching_dpl(void **state)
{
	guest_at(3, 3);
	hypercall_exit(vcpu);
	assert_int_equal(vcpu->regs.gpr[GPR_RAX], (u64)HC_EPERM);
	guest_at(0, 0);
	hypercall_exit(vcpu);
	assert_int_equal(vcpu->regs.gpr[GPR_RAX], HC_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpl_3_with_ss_dpl_0_is_refused),
		cmocka_unit_test(test_cpl_0_with_ss_dpl_3_is_served),
		cmocka_unit_test(test_matching_dpl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
