#include "hcall.h"
#include "cpu.h"
#include "gstring.h"
#include "idt.h"
#include "tap.h"

bool cpu_is_amd(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	char vendor[12];
	memcpy(vendor + 0, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	return !memcmp(vendor, "AuthenticAMD", 12) || !memcmp(vendor, "HygonGenuine", 12);
}

long hcall_insn(enum hc_insn insn, unsigned long nr, unsigned long a1, unsigned long a2,
		unsigned long a3, unsigned long a4, unsigned long *rbx_out)
{
	unsigned long ax = nr, bx = a1;
	if (insn == HC_INSN_VMMCALL)
		__asm__ volatile("vmmcall" : "+a"(ax), "+b"(bx) : "c"(a2), "d"(a3), "S"(a4) : "memory");
	else
		__asm__ volatile("vmcall" : "+a"(ax), "+b"(bx) : "c"(a2), "d"(a3), "S"(a4) : "memory");
	if (rbx_out)
		*rbx_out = bx;
	return (long)ax;
}

long hcall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
	   unsigned long a4, unsigned long *rbx_out)
{
	return hcall_insn(cpu_is_amd() ? HC_INSN_VMMCALL : HC_INSN_VMCALL, nr, a1, a2, a3, a4, rbx_out);
}

static void try_version(void *result)
{
	*(long *)result = hcall(HC_VERSION, 0, 0, 0, 0, NULL);
}

bool hcall_available(void)
{
	long result;
	return catch_exception(try_version, &result) < 0;
}

bool stats_around(void (*fn)(void *), void *arg, struct hc_stats *before, struct hc_stats *after)
{
	if (!hcall_available()) {
		diag("no hypercalls: cannot read statistics");
		return false;
	}
	long rc1 = hcall(HC_READ_STATS, (unsigned long)before, sizeof(*before), 0, 0, NULL);
	fn(arg);
	long rc2 = hcall(HC_READ_STATS, (unsigned long)after, sizeof(*after), 0, 0, NULL);
	if (rc1 || rc2)
		diag("HC_READ_STATS returned %ld, then %ld", rc1, rc2);
	return !rc1 && !rc2;
}

bool read_stats(struct hc_stats *s)
{
	long rc = hcall(HC_READ_STATS, (unsigned long)s, sizeof(*s), 0, 0, NULL);
	if (rc)
		diag("HC_READ_STATS returned %ld", rc);
	else if (s->size < sizeof(*s))
		diag("the hypervisor fills %u bytes of hc_stats, this guest needs %u", s->size,
		     (unsigned)sizeof(*s));
	return rc == 0 && s->size >= sizeof(*s);
}

long memslot_ops(const struct hc_memslot_op *ops, unsigned long n, unsigned long *bad)
{
	return hcall(HC_MEMSLOT, (unsigned long)ops, n, 0, 0, bad);
}

long memslot_op(u32 op, u64 gpa, u64 size, u64 arg, u32 flags)
{
	struct hc_memslot_op o = { .op = op, .flags = flags, .gpa = gpa, .size = size, .arg = arg };
	unsigned long bad;
	return memslot_ops(&o, 1, &bad);
}

u64 tdp_mapping_kib(u64 gpa)
{
	unsigned long kib = 0;
	hcall(HC_TDP_LEVEL, gpa, 0, 0, 0, &kib);
	return kib;
}

void fail_without_hypercalls(int tests)
{
	for (int i = 0; i < tests; i++)
		ok(false, "hv: (no hypercalls: nothing to check)");
}
