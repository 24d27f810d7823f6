/* Host tests: choosing VMX controls from capability MSR values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vmx/caps.h"
#include "vmx/vmcs.h"

/* A control MSR: low half must-be-one, high half may-be-one. */
static u64 ctl(u32 must1, u32 may1) { return (u64)may1 << 32 | must1; }

/* A CPU like Bochs' corei7_skylake_x: everything the hypervisor wants is there. */
static struct vmx_caps full_caps(void)
{
	return (struct vmx_caps){
		.basic = 6ull << 50 | VMX_BASIC_TRUE_CTLS | 0x1000ull << 32 | 0x2b,
		.pin = ctl(0x16, 0xff),
		.proc = ctl(0x04006172, 0xffffffff),
		.proc2 = ctl(0, 0x003fffff),
		.exit = ctl(0x00036dfb, 0x00ffffff),
		.entry = ctl(0x000011fb, 0x0000ffff),
		.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
		.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x3727ff,
		.ept_vpid = EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_1G | EPT_CAP_INVEPT |
			    EPT_CAP_AD | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID |
			    VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL,
	};
}

static bool has_missing(const struct vmx_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nmissing; i++)
		if (strcmp(cfg->missing[i], name) == 0)
			return true;
	return false;
}

static void full_cpu_gets_everything(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	assert_true(vmx_choose_config(&caps, &cfg));
	assert_int_equal(cfg.nmissing, 0);
	assert_true(cfg.ctl[VMX_CTL_PROC2] & PROC2_ENABLE_EPT);
	assert_true(cfg.ctl[VMX_CTL_PROC2] & PROC2_UNRESTRICTED_GUEST);
	assert_true(cfg.ctl[VMX_CTL_PROC2] & PROC2_ENABLE_VPID);
	assert_true(cfg.ctl[VMX_CTL_PROC] & PROC_HLT_EXITING);
	assert_true(cfg.ctl[VMX_CTL_EXIT] & EXIT_LOAD_EFER);
	assert_true(cfg.vpid && cfg.ept_ad && cfg.ept_2m && cfg.ept_1g && cfg.invept_single);
	/* IA-32e mode guest is chosen per guest, never by default. */
	assert_false(cfg.ctl[VMX_CTL_ENTRY] & ENTRY_IA32E_GUEST);
}

static void must_be_one_bits_are_kept(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	assert_true(vmx_choose_config(&caps, &cfg));
	for (int w = 0; w < VMX_CTL_WORDS; w++) {
		u64 msr = w == VMX_CTL_PIN ? caps.pin : w == VMX_CTL_PROC ? caps.proc :
			  w == VMX_CTL_PROC2 ? caps.proc2 : w == VMX_CTL_EXIT ? caps.exit : caps.entry;
		assert_int_equal(cfg.ctl[w] & (u32)msr, (u32)msr);
		assert_int_equal(cfg.ctl[w] & ~(u32)(msr >> 32), 0);
	}
}

static void missing_ept_and_unrestricted_are_named(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.proc2 = ctl(0, 0x003fffff & ~(PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST));
	assert_false(vmx_choose_config(&caps, &cfg));
	assert_true(has_missing(&cfg, "enable EPT"));
	assert_true(has_missing(&cfg, "unrestricted guest"));
	assert_int_equal(cfg.nmissing, 2);
}

static void no_secondary_controls_means_no_ept(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.proc = ctl(0x04006172, 0x7fffffff);
	assert_false(vmx_choose_config(&caps, &cfg));
	assert_true(has_missing(&cfg, "activate secondary controls"));
	assert_true(has_missing(&cfg, "enable EPT"));
	assert_int_equal(cfg.ctl[VMX_CTL_PROC2], 0);
}

static void vpid_is_optional(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.proc2 = ctl(0, 0x003fffff & ~PROC2_ENABLE_VPID);
	assert_true(vmx_choose_config(&caps, &cfg));
	assert_false(cfg.vpid);
	assert_false(cfg.ctl[VMX_CTL_PROC2] & PROC2_ENABLE_VPID);
}

static void vpid_without_invvpid_is_not_used(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.ept_vpid &= ~VPID_CAP_INVVPID;
	assert_true(vmx_choose_config(&caps, &cfg));
	assert_false(cfg.vpid);
	assert_false(cfg.ctl[VMX_CTL_PROC2] & PROC2_ENABLE_VPID);
}

static void ept_without_invept_or_wb_fails(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.ept_vpid &= ~(EPT_CAP_INVEPT | EPT_CAP_WB);
	assert_false(vmx_choose_config(&caps, &cfg));
	assert_true(has_missing(&cfg, "INVEPT"));
	assert_true(has_missing(&cfg, "EPT write-back paging structures"));
}

static void invept_all_context_fallback(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.ept_vpid &= ~EPT_CAP_INVEPT_SINGLE;
	assert_true(vmx_choose_config(&caps, &cfg));
	assert_false(cfg.invept_single);
}

static void missing_efer_controls_are_named(void **state)
{
	struct vmx_caps caps = full_caps();
	struct vmx_config cfg;
	caps.exit = ctl(0x00036dfb, 0x00ffffff & ~EXIT_LOAD_EFER);
	caps.entry = ctl(0x11fb, 0xffff & ~ENTRY_IA32E_GUEST);
	assert_false(vmx_choose_config(&caps, &cfg));
	assert_true(has_missing(&cfg, "load IA32_EFER (exit)"));
	assert_true(has_missing(&cfg, "IA-32e mode guest"));
}

static void cr0_host_owned_bits(void **state)
{
	struct vmx_caps caps = full_caps();
	u64 owned = vmx_cr0_host_owned(&caps);
	assert_true(owned & CR0_NE);  /* fixed to 1 */
	assert_true(owned & CR0_PG);  /* ours, to keep EFER.LMA in step */
	assert_false(owned & CR0_PE); /* free with unrestricted guest */
	assert_true((owned & (CR0_CD | CR0_NW)) == (CR0_CD | CR0_NW)); /* never loaded by VM entry */
	assert_true(vmx_cr4_host_owned(&caps) & CR4_VMXE);
	assert_false(vmx_cr4_host_owned(&caps) & CR4_PAE);
	assert_int_equal(vmx_cr_fixed(0, caps.cr0_fixed0, caps.cr0_fixed1), 0x80000021);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_cpu_gets_everything),
		cmocka_unit_test(must_be_one_bits_are_kept),
		cmocka_unit_test(missing_ept_and_unrestricted_are_named),
		cmocka_unit_test(no_secondary_controls_means_no_ept),
		cmocka_unit_test(vpid_is_optional),
		cmocka_unit_test(vpid_without_invvpid_is_not_used),
		cmocka_unit_test(ept_without_invept_or_wb_fails),
		cmocka_unit_test(invept_all_context_fallback),
		cmocka_unit_test(missing_efer_controls_are_named),
		cmocka_unit_test(cr0_host_owned_bits),
	};
	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
