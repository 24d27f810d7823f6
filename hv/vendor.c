/* Picks the virtualization backend this CPU supports, and names exit kinds for logs. */
#include "hv/vendor.h"

/* Weak: a build without one of the backends still links, and never picks it. */
extern const struct vendor_ops svm_ops __attribute__((weak));
extern const struct vendor_ops vmx_ops __attribute__((weak));

const struct vendor_ops *vendor;

const char *vendor_select(void)
{
	static const struct vendor_ops *const candidates[] = { &svm_ops, &vmx_ops };
	const char *why = "no virtualization backend compiled in";

	for (u32 i = 0; i < ARRAY_SIZE(candidates); i++) {
		const struct vendor_ops *ops = candidates[i];
		if (!ops)
			continue;
		why = ops->probe();
		if (!why) {
			vendor = ops;
			return NULL;
		}
	}
	return why;
}

const char *exit_kind_name(enum exit_kind kind)
{
	static const char *const names[EXIT_KIND_COUNT] = {
		[EXIT_KIND_NONE] = "none",
		[EXIT_KIND_IO] = "io",
		[EXIT_KIND_MSR_READ] = "rdmsr",
		[EXIT_KIND_MSR_WRITE] = "wrmsr",
		[EXIT_KIND_CPUID] = "cpuid",
		[EXIT_KIND_HLT] = "hlt",
		[EXIT_KIND_HYPERCALL] = "hypercall",
		[EXIT_KIND_TDP_FAULT] = "tdp-fault",
		[EXIT_KIND_EXCEPTION] = "exception",
		[EXIT_KIND_SHUTDOWN] = "shutdown",
		[EXIT_KIND_ENTRY_FAILED] = "entry-failed",
		[EXIT_KIND_UNHANDLED] = "unhandled",
	};
	return (u32)kind < EXIT_KIND_COUNT && names[kind] ? names[kind] : "?";
}
