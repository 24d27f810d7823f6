/*
 * XSETBV: every XCR0 value the SDM forbids (vol. 2 XSETBV, vol. 1 13.3)
 * raises #GP(0) in the guest: bit 0 clear, AVX without SSE, part of
 * AVX-512 or AVX-512 without AVX, one half of MPX or AMX, reserved bits,
 * an XCR other than 0. Before the hypervisor checked the full list, VT-x
 * handed such a value to the host's own XSETBV, which faulted: status 3.
 * Valid values take effect (XGETBV reads them back). Where CPUID shows no
 * XSAVE (QEMU's qemu64, say) the guest probes: when CR4.OSXSAVE
 * cannot be set the CPU has no XSAVE and every test is skipped. The probe
 * is made only where a refused bit is a #GP: with CPUID's XSAVE bit, or
 * under our hypervisor on Intel (VT-x checks CR4 writes); QEMU 7.2's TCG
 * re-executes forever a MOV to CR4 setting OSXSAVE on a CPU without XSAVE.
 */
#include "guest.h"
#include "x86.h"

#define TESTS 15

struct xcr { u32 index; u64 value; };

static void do_xsetbv(void *arg)
{
	struct xcr *x = arg;
	__asm__ volatile("xsetbv" : : "c"(x->index), "a"((u32)x->value), "d"((u32)(x->value >> 32)));
}

static u64 xgetbv0(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (u64)hi << 32 | lo;
}

static void set_osxsave(void *arg)
{
	write_cr4(read_cr4() | CR4_OSXSAVE);
}

static bool may_probe_osxsave(void)
{
	if (cpuid(1, 0).ecx & (1u << 26))
		return true;
	bool ours = cpuid(HV_CPUID_LEAF, 0).ebx == HV_CPUID_SIG_EBX;
	return ours && cpuid(0, 0).ebx == 0x756e6547u; /* "Genu"ineIntel */
}

static const struct { struct xcr x; const char *what; } invalid[] = {
	{ { 0, 0 }, "XCR0 = 0 (x87 clear)" },
	{ { 0, 0x2 }, "SSE without x87" },
	{ { 0, 0x5 }, "AVX without SSE" },
	{ { 0, 0x27 }, "AVX-512 opmask alone (bits 7:5 partly set)" },
	{ { 0, 0x67 }, "AVX-512 opmask + ZMM_Hi256 without Hi16_ZMM" },
	{ { 0, 0xe3 }, "AVX-512 without AVX" },
	{ { 0, 0x9 }, "MPX BNDREGS without BNDCSR" },
	{ { 0, 0x11 }, "MPX BNDCSR without BNDREGS" },
	{ { 0, (1ul << 17) | 0x3 }, "AMX XTILECFG without XTILEDATA" },
	{ { 0, (1ul << 18) | 0x3 }, "AMX XTILEDATA without XTILECFG" },
	{ { 0, 0x101 }, "bit 8 (a supervisor state, never in XCR0)" },
	{ { 0, (1ul << 63) | 1 }, "bit 63 (reserved)" },
	{ { 1, 0x1 }, "XCR1 (read-only)" },
};

void test_main(void)
{
	plan(TESTS);
	if (!may_probe_osxsave() || catch_exception(set_osxsave, NULL) >= 0) {
		for (int i = 0; i < TESTS; i++)
			skip("no XSAVE on this CPU (CR4.OSXSAVE refused)", "xsetbv test %d", i + 1);
		return;
	}
	for (unsigned i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct xcr x = invalid[i].x;
		int v = catch_exception(do_xsetbv, &x);
		ok(v == EXC_GP && caught_error_code == 0, "XSETBV(%u, 0x%lx) raises #GP(0): %s (got %s)",
		   x.index, (unsigned long)x.value, invalid[i].what, v < 0 ? "no fault" : exception_name(v));
	}
	struct xcr sse = { 0, 0x3 }, x87 = { 0, 0x1 };
	int v = catch_exception(do_xsetbv, &sse);
	ok(v < 0 && xgetbv0() == 0x3, "XSETBV(0, x87|SSE) takes effect (XGETBV 0x%lx)", (unsigned long)xgetbv0());
	v = catch_exception(do_xsetbv, &x87);
	ok(v < 0 && xgetbv0() == 0x1, "XSETBV(0, x87) takes effect (XGETBV 0x%lx)", (unsigned long)xgetbv0());
	write_cr4(read_cr4() & ~CR4_OSXSAVE);
}
