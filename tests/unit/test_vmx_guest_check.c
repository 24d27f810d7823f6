/* Host tests: the VM-entry failure explainer names the broken guest-state field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vmx/caps.h"
#include "vmx/guest_check.h"
#include "vmx/vmcs.h"

static struct vmx_seg_state seg(u16 sel, u32 limit, u32 ar) { return (struct vmx_seg_state){ sel, 0, limit, ar }; }

/* A valid 64-bit guest, as the backend builds it. */
static struct vmx_guest_state long_mode_guest(void)
{
	struct vmx_guest_state g = {
		.cr0 = 0x80000031, .cr4 = 0x2020, .efer = EFER_LME | EFER_LMA, .rflags = 2, .dr7 = 0x400,
		.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff, .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x3727ff,
		.entry_ctls = ENTRY_LOAD_EFER | ENTRY_IA32E_GUEST,
		.proc2_ctls = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
		.gdtr_limit = 0x27, .idtr_limit = 0xfff, .link_pointer = ~0ull,
	};
	u32 data = 0x3 | AR_S | AR_P | AR_DB | AR_G;
	g.seg[VMX_CS] = seg(0x8, 0xffffffff, 0xb | AR_S | AR_P | AR_L | AR_G);
	g.seg[VMX_SS] = seg(0x10, 0xffffffff, data);
	g.seg[VMX_DS] = g.seg[VMX_ES] = g.seg[VMX_FS] = g.seg[VMX_GS] = g.seg[VMX_SS];
	g.seg[VMX_LDTR] = seg(0, 0, AR_UNUSABLE);
	g.seg[VMX_TR] = seg(0, 0xffff, 11 | AR_P);
	return g;
}

/* A real-mode guest with unrestricted guest: PE and PG clear. */
static struct vmx_guest_state real_mode_guest(void)
{
	struct vmx_guest_state g = long_mode_guest();
	g.cr0 = 0x20; /* NE */
	g.efer = 0;
	g.entry_ctls = ENTRY_LOAD_EFER;
	for (int s = VMX_ES; s <= VMX_GS; s++)
		g.seg[s] = seg(0, 0xffff, 0x3 | AR_S | AR_P);
	g.seg[VMX_CS].ar = 0xb | AR_S | AR_P;
	return g;
}

static void assert_fails(const struct vmx_guest_state *g, const char *field, const char *rule_part, u64 value)
{
	struct vmx_check_failure f;
	assert_true(vmx_check_guest_state(g, &f));
	assert_string_equal(f.field, field);
	assert_non_null(strstr(f.rule, rule_part));
	assert_int_equal(f.value, value);
}

static void valid_guests_pass(void **state)
{
	struct vmx_check_failure f;
	struct vmx_guest_state g = long_mode_guest();
	assert_false(vmx_check_guest_state(&g, &f));
	g = real_mode_guest();
	assert_false(vmx_check_guest_state(&g, &f));
}

static void tr_not_busy_is_named(void **state)
{
	struct vmx_guest_state g = long_mode_guest();
	g.seg[VMX_TR].ar = 9 | AR_P; /* available, not busy */
	assert_fails(&g, "guest TR", "busy TSS", 9);
	g = real_mode_guest();
	g.seg[VMX_TR].ar = 3 | AR_P; /* busy 16-bit TSS is fine outside IA-32e mode */
	struct vmx_check_failure f;
	assert_false(vmx_check_guest_state(&g, &f));
}

static void cd_nw_are_not_checked(void **state)
{
	struct vmx_check_failure f;
	struct vmx_guest_state g = real_mode_guest();
	g.cr0 |= CR0_NW; /* NW without CD: VM entry leaves both to the host */
	g.cr0_fixed1 = 0x9fffffff;
	assert_false(vmx_check_guest_state(&g, &f));
}

static void cr0_without_ne_is_named(void **state)
{
	struct vmx_guest_state g = real_mode_guest();
	g.cr0 = 0;
	assert_fails(&g, "guest CR0", "fixed to 1", 0);
}

static void real_mode_needs_unrestricted_guest(void **state)
{
	struct vmx_guest_state g = real_mode_guest();
	g.proc2_ctls = PROC2_ENABLE_EPT;
	assert_fails(&g, "guest CR0", "fixed to 1", 0x20);
}

static void lma_out_of_step_is_named(void **state)
{
	struct vmx_guest_state g = long_mode_guest();
	g.efer = EFER_LME; /* LMA forgotten */
	assert_fails(&g, "guest IA32_EFER", "LMA differs from the IA-32e", EFER_LME);
}

static void ia32e_without_paging_is_named(void **state)
{
	struct vmx_guest_state g = real_mode_guest();
	g.entry_ctls |= ENTRY_IA32E_GUEST;
	g.efer = EFER_LME | EFER_LMA;
	assert_fails(&g, "IA-32e mode guest", "CR0.PG and CR4.PAE", 0x20 | 0x2020ull << 32);
}

static void segment_problems_are_named(void **state)
{
	struct vmx_guest_state g = long_mode_guest();
	g.seg[VMX_CS].ar |= AR_DB;
	assert_fails(&g, "guest CS", "L and D/B", g.seg[VMX_CS].ar);

	g = long_mode_guest();
	g.seg[VMX_DS].ar &= ~1u; /* not accessed */
	assert_fails(&g, "guest DS", "accessed", 2);

	g = long_mode_guest();
	g.seg[VMX_SS].limit = 0xffff0; /* G set but low bits not all ones */
	assert_fails(&g, "guest SS", "G flag", 0xffff0);

	g = real_mode_guest();
	g.seg[VMX_SS].ar |= 3 << 5;
	assert_fails(&g, "guest SS", "DPL must be 0", 3);

	g = long_mode_guest();
	g.seg[VMX_CS].ar = AR_UNUSABLE;
	assert_fails(&g, "guest CS", "usable", AR_UNUSABLE);
}

static void other_state_is_checked(void **state)
{
	struct vmx_guest_state g = long_mode_guest();
	g.rflags = 0;
	assert_fails(&g, "guest RFLAGS", "bit 1", 0);

	g = long_mode_guest();
	g.link_pointer = 0;
	assert_fails(&g, "VMCS link pointer", "all ones", 0);

	g = long_mode_guest();
	g.interruptibility = INTERRUPTIBILITY_STI;
	assert_fails(&g, "guest interruptibility state", "RFLAGS.IF", INTERRUPTIBILITY_STI);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_guests_pass),
		cmocka_unit_test(tr_not_busy_is_named),
		cmocka_unit_test(cr0_without_ne_is_named),
		cmocka_unit_test(cd_nw_are_not_checked),
		cmocka_unit_test(real_mode_needs_unrestricted_guest),
		cmocka_unit_test(lma_out_of_step_is_named),
		cmocka_unit_test(ia32e_without_paging_is_named),
		cmocka_unit_test(segment_problems_are_named),
		cmocka_unit_test(other_state_is_checked),
	};
	return cmocka_run_group_tests_name("vmx_guest_check", tests, NULL, NULL);
}
