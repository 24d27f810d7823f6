/* CPUID as guests see it (hv/vm/cpuid.c), filtered from this host's real CPUID. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/guest_switch.h"
#include "hv/vm/xcr0.h"
#include "hv/vm/vendor.h"

static struct vm vm = { .nvcpus = 1 };
static struct vcpu vcpu = { .vm = &vm };

u64 time_tsc_hz(void) { return 2500000000ull; }

/* What hv/vm/guest_switch.c would say: the tests set both. */
static u64 xcr0_supported, xcr0_now = XCR0_X87;
u64 guest_xcr0_supported(void) { return xcr0_supported; }
u64 guest_xcr0(const struct vcpu *v) { return xcr0_now; }
const struct vendor_ops *vendor;

static struct cpuid_regs guest(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;
	cpuid_for_guest(&vcpu, leaf, subleaf, &r);
	return r;
}

static void test_hypervisor_leaf(void **state)
{
	struct cpuid_regs r = guest(HV_CPUID_LEAF, 0);
	char sig[12];
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_int_equal(r.eax, HV_CPUID_MAX_LEAF);
	assert_memory_equal(sig, HV_CPUID_SIGNATURE, 12);
	r = guest(HV_CPUID_TIMING_LEAF, 0);
	assert_int_equal(r.eax, 2500000);           /* TSC kHz */
	assert_int_equal(r.ebx, 1000000);           /* APIC timer clock kHz: 1 GHz */
	r = guest(HV_CPUID_MAX_LEAF + 1, 0);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

static void test_hidden_and_shown(void **state)
{
	struct cpuid_regs l1 = guest(1, 0), e1 = guest(0x80000001u, 0);
	assert_true(l1.ecx & (1u << 31));        /* hypervisor present */
	assert_false(l1.ecx & (1u << 5));        /* VMX */
	assert_true(l1.ecx & (1u << 21));        /* x2APIC: the virtual APIC's */
	assert_true(l1.ecx & (1u << 24));        /* TSC-deadline timer */
	assert_true(guest(7, 0).ebx & (1u << 1)); /* IA32_TSC_ADJUST */
	assert_false(l1.ecx & (1u << 26));       /* XSAVE: the guests' state is not switched with it */
	assert_false(e1.ecx & (1u << 2));        /* SVM */
	assert_int_equal(l1.ebx >> 24, 0);       /* APIC ID of vCPU 0 */
	assert_int_equal((l1.ebx >> 16) & 0xff, 1); /* one logical CPU */
	assert_int_equal(guest(0, 0).eax, 0xd);  /* basic leaves up to XSAVE's */
	struct cpuid_regs unknown = guest(0x2, 0);
	assert_int_equal(unknown.eax | unknown.ebx | unknown.ecx | unknown.edx, 0);
	struct cpuid_regs xsave = guest(0xd, 0);  /* XSAVE hidden: no state components */
	assert_int_equal(xsave.eax | xsave.ebx | xsave.ecx | xsave.edx, 0);
	assert_false(guest(7, 0).ebx & (1u << 5)); /* AVX2 */
}

/* With the state switched per vCPU, XSAVE and the AVX family are shown with a
 * leaf 0xD that lists only what guests may enable, sized by the host's layout. */
static void test_xsave_shown(void **state)
{
	struct cpuid_regs host1 = cpuid(1, 0);
	if (!(host1.ecx & (1u << 26)) || !(cpuid(0xd, 0).eax & XCR0_AVX))
		skip(); /* this build host has no XSAVE with AVX */
	xcr0_supported = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	struct cpuid_regs l1 = guest(1, 0), l7 = guest(7, 0), d0 = guest(0xd, 0), d1 = guest(0xd, 1);
	assert_true(l1.ecx & (1u << 26));                        /* XSAVE */
	assert_true(l1.ecx & (1u << 28));                        /* AVX */
	assert_int_equal(l7.ebx & (1u << 5), cpuid(7, 0).ebx & (1u << 5)); /* AVX2 as the host has it */
	assert_false(l7.ebx & (1u << 16));                       /* AVX-512F: its state is not offered */
	assert_int_equal(d0.eax, 7);
	assert_int_equal(d0.edx, 0);
	assert_int_equal(d0.ebx, 576);                           /* XCR0 = x87: legacy area and header */
	assert_int_equal(d0.ecx, cpuid(0xd, 2).ebx + cpuid(0xd, 2).eax); /* up to the end of AVX's */
	xcr0_now = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	assert_int_equal(guest(0xd, 0).ebx, d0.ecx);
	assert_false(d1.eax & ~1u);                              /* XSAVEOPT at most: no XSAVEC/XSAVES */
	struct cpuid_regs avx = guest(0xd, 2), mpx = guest(0xd, 3);
	assert_int_equal(avx.eax, 256);
	assert_int_equal(mpx.eax | mpx.ebx | mpx.ecx | mpx.edx, 0); /* not offered: zeros */
	xcr0_supported = 0;
	xcr0_now = XCR0_X87;
}

/* Above the highest leaf: the highest basic leaf's values (Intel, QEMU). */
static void test_out_of_range(void **state)
{
	struct cpuid_regs top = guest(0xd, 0), above = guest(0x1234, 0), ext = guest(0x8000abcdu, 0);
	assert_memory_equal(&top, &above, sizeof(top));
	assert_memory_equal(&top, &ext, sizeof(top));
}

static void test_timing_leaf(void **state)
{
	struct cpuid_regs r = guest(HV_CPUID_TIMING_LEAF, 0);
	assert_int_equal(r.eax, 2500000);        /* TSC kHz */
	assert_int_equal(r.ebx, HV_APIC_BUS_KHZ);
}

/* Leaf 0xA on Intel: version 1 with the counters hv/vm/msr_pc.c emulates, no events. */
static void test_pmu_leaf(void **state)
{
	struct cpuid_regs host = cpuid(0, 0), r = guest(0xa, 0);
	if (memcmp(&host.ebx, "Genu", 4)) {
		assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
		return;
	}
	assert_int_equal(r.eax & 0xff, 1);
	assert_int_equal((r.eax >> 8) & 0xff, MSR_PC_INTEL_COUNTERS);
	assert_int_equal(r.ebx & 0x7f, 0x7f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hypervisor_leaf),
		cmocka_unit_test(test_hidden_and_shown),
		cmocka_unit_test(test_xsave_shown),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_timing_leaf),
		cmocka_unit_test(test_pmu_leaf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
