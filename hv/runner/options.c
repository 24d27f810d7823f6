/* The command-line table (syntax: hv/runner/keyval.h, parser: hv/runner/cmdline.c). */
#include "hv/runner/options.h"
#include "hv/runner/run.h"
#include "hv/runner/cmdline.h"
#include "hv/vm/guest_console.h"
#include "hv/console/console.h"
#include "hv/hv_exit.h"
#include "hv/cpu/trap.h"
#include "mm/tdp.h"
#include "kstring.h"

/* Index order must match the enums the values are cast to. */
static const char *const loglevel_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const on_exit_names[] = { "auto", "qemu", "bochs", "halt", "reset", NULL };
static const char *const console_names[] = { "serial", "fb", "both", NULL };
static const char *const test_fault_names[] = { "none", "ud", "pf", "gp", "de", NULL };
static const char *const mmu_zap_names[] = { "auto", "fast", "slot", NULL };
static const char *const vm_switch_flush_names[] = { "none", "ibpb", "full", NULL };

struct hv_options hv_options = {
	.loglevel = LOG_INFO,
	.on_exit = EXIT_AUTO,
	.console = CONSOLE_BOTH - 1,
	.test_fault = TEST_FAULT_NONE,
	.config = "suite.cfg",
	.smp = true,
	.nx_huge_pages = true,
	.nx_ratio = NX_DEFAULT_RATIO,
	.nx_period_ms = NX_DEFAULT_PERIOD_MS,
	.vm_switch_flush = 1, /* ibpb */
	.console_rate = CONSOLE_RATE_DEFAULT,
	.tdp_table_cap = 8192, /* 32 MiB of tables per VM */
};

static const struct cmdline_key option_keys[] = {
	{ .name = "loglevel", .type = CMDLINE_ENUM, .dest = &hv_options.loglevel, .choices = loglevel_names },
	{ .name = "on_exit", .type = CMDLINE_ENUM, .dest = &hv_options.on_exit, .choices = on_exit_names },
	{ .name = "console", .type = CMDLINE_ENUM, .dest = &hv_options.console, .choices = console_names },
	{ .name = "test_fault", .type = CMDLINE_ENUM, .dest = &hv_options.test_fault, .choices = test_fault_names },
	{ .name = "config", .type = CMDLINE_STRING, .dest = hv_options.config, .size = sizeof(hv_options.config) },
	{ .name = "test_bad_guest_state", .type = CMDLINE_STRING, .dest = hv_options.test_bad_guest_state,
	  .size = sizeof(hv_options.test_bad_guest_state) },
	{ .name = "test_late_vcpu_publish", .type = CMDLINE_STRING, .dest = hv_options.test_late_vcpu_publish,
	  .size = sizeof(hv_options.test_late_vcpu_publish) },
	{ .name = "smp", .type = CMDLINE_BOOL, .dest = &hv_options.smp },
	{ .name = "parallel", .type = CMDLINE_UINT, .dest = &hv_options.parallel, .min = 0, .max = RUN_MAX_PARALLEL },
	{ .name = "test_sched", .type = CMDLINE_BOOL, .dest = &hv_options.test_sched },
	{ .name = "mmu_zap", .type = CMDLINE_ENUM, .dest = &hv_options.mmu_zap, .choices = mmu_zap_names },
	{ .name = "nx_huge_pages", .type = CMDLINE_BOOL, .dest = &hv_options.nx_huge_pages },
	{ .name = "nx_ratio", .type = CMDLINE_UINT, .dest = &hv_options.nx_ratio, .min = 1, .max = 1000 },
	{ .name = "nx_period_ms", .type = CMDLINE_UINT, .dest = &hv_options.nx_period_ms, .min = 1,
	  .max = 3600000 },
	{ .name = "vm_switch_flush", .type = CMDLINE_ENUM, .dest = &hv_options.vm_switch_flush,
	  .choices = vm_switch_flush_names },
	{ .name = "console_rate", .type = CMDLINE_UINT, .dest = &hv_options.console_rate, .min = 0, .max = 1000000 },
	{ .name = "tdp_table_cap", .type = CMDLINE_UINT, .dest = &hv_options.tdp_table_cap, .min = 0,
	  .max = 1u << 24 },
};

int options_parse(const char *cmdline, char *err, size_t errlen)
{
	int r = cmdline_parse(cmdline, strlen(cmdline), option_keys, ARRAY_SIZE(option_keys), err, errlen);
	nx_default_params = (struct nx_params){ .enabled = hv_options.nx_huge_pages,
						.ratio = (u32)hv_options.nx_ratio,
						.period_ms = (u32)hv_options.nx_period_ms };
	return r;
}
