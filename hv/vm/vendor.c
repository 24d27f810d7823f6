/*
 * Picks the virtualization backend this CPU supports, turns it on on every
 * CPU, and names exit kinds for logs.
 */
#include "hv/vm/vendor.h"
#include "hv/console/console.h"
#include "hv/cpu/percpu.h"
#include "hv/cpu/smp.h"

/* Weak: a build without one of the backends still links, and never picks it. */
extern const struct vendor_ops svm_ops __attribute__((weak));
extern const struct vendor_ops vmx_ops __attribute__((weak));

static const struct vendor_ops *const candidates[] = { &svm_ops, &vmx_ops };

const struct vendor_ops *vendor;

void vendor_print_features(const char *cpu_vendor)
{
	char line[128];
	bool any = false;

	for (u32 i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (candidates[i] && candidates[i]->describe(line, sizeof(line))) {
			kprintf("hv: cpu %s: %s\n", cpu_vendor, line);
			any = true;
		}
	}
	if (!any)
		kprintf("hv: cpu %s: no hardware virtualization (neither SVM nor VMX)\n", cpu_vendor);
}

const char *vendor_select(void)
{
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

static bool cpu_ready[MAX_CPUS];           /* set once, by the CPU itself */
static const char *cpu_why_not[MAX_CPUS];  /* why enable_cpu failed there */

/* Runs in a thread pinned to the CPU, so this_cpu() is stable. */
static void enable_this_cpu(void *unused)
{
	u32 id = this_cpu()->id;
	const char *why = vendor->enable_cpu();

	if (why) {
		cpu_why_not[id] = why;
		kprintf("hv: CPU %u: cannot run guests: %s\n", id, why);
		return;
	}
	__atomic_store_n(&cpu_ready[id], true, __ATOMIC_RELEASE);
}

const char *vendor_enable_all_cpus(void)
{
	smp_on_each_cpu(enable_this_cpu, NULL); /* returns after every CPU's call */
	return vendor_cpu_ready(0) ? NULL : cpu_why_not[0];
}

bool vendor_cpu_ready(u32 cpu)
{
	return cpu < MAX_CPUS && __atomic_load_n(&cpu_ready[cpu], __ATOMIC_ACQUIRE);
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
		[EXIT_KIND_XSETBV] = "xsetbv",
		[EXIT_KIND_CACHE] = "invd/wbinvd",
		[EXIT_KIND_RDPMC] = "rdpmc",
		[EXIT_KIND_TDP_FAULT] = "tdp-fault",
		[EXIT_KIND_EXCEPTION] = "exception",
		[EXIT_KIND_CR8] = "cr8",
		[EXIT_KIND_SHUTDOWN] = "shutdown",
		[EXIT_KIND_ENTRY_FAILED] = "entry-failed",
		[EXIT_KIND_UNHANDLED] = "unhandled",
	};
	return (u32)kind < EXIT_KIND_COUNT && names[kind] ? names[kind] : "?";
}
