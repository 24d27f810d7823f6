/*
 * MSRs: the allow-list lets these through (each one written, read back and
 * restored): EFER, STAR, LSTAR, CSTAR, SFMASK, FS/GS/KERNEL_GS base,
 * SYSENTER_CS/ESP/EIP, PAT, TSC_AUX (when RDTSCP exists); IA32_APIC_BASE is
 * read. Anything else raises #GP inside the guest.
 */
#include "guest.h"

#define MSR_APIC_BASE 0x1B
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_PAT 0x277
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_CSTAR 0xC0000083u
#define MSR_SFMASK 0xC0000084u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_TSC_AUX 0xC0000103u
#define MSR_VM_HSAVE_PA 0xC0010117u /* the hypervisor's own: never the guest's */
#define MSR_UNDEFINED 0x1234u       /* no CPU defines it */

#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_ENABLE (1u << 11)
#define CPUID_EXT1_EDX_RDTSCP (1u << 27)

struct msr_access {
	u32 index;
	bool write;
	u64 value;
};

static void do_access(void *arg)
{
	struct msr_access *a = arg;
	if (a->write)
		wrmsr(a->index, a->value);
	else
		a->value = rdmsr(a->index);
}

/* Each returns the exception vector raised, or -1. */
static int rdmsr_safe(u32 index, u64 *value)
{
	struct msr_access a = { index, false, 0 };
	int vector = catch_exception(do_access, &a);
	*value = a.value;
	return vector;
}

static int wrmsr_safe(u32 index, u64 value)
{
	struct msr_access a = { index, true, value };
	return catch_exception(do_access, &a);
}

static void round_trip(u32 index, const char *name, u64 value)
{
	u64 old = 0, got = 0;
	int r1 = rdmsr_safe(index, &old);
	int w = wrmsr_safe(index, value);
	int r2 = rdmsr_safe(index, &got);
	if (r1 < 0)
		wrmsr_safe(index, old);
	if (!ok(r1 < 0 && w < 0 && r2 < 0 && got == value, "%s (0x%x) round-trips 0x%llx", name,
		index, (unsigned long long)value))
		diag("read %s, write %s, read back %s: 0x%llx", r1 < 0 ? "ok" : exception_name(r1),
		     w < 0 ? "ok" : exception_name(w), r2 < 0 ? "ok" : exception_name(r2),
		     (unsigned long long)got);
}

static void forbidden(u32 index, bool write, const char *name)
{
	u64 value = 0;
	int v = write ? wrmsr_safe(index, 0) : rdmsr_safe(index, &value);
	if (!ok(v == EXC_GP && caught_error_code == 0, "hv: %s of %s (0x%x) raises #GP(0)",
		write ? "WRMSR" : "RDMSR", name, index))
		diag("got %s (error 0x%lx), value 0x%llx", v < 0 ? "no exception" : exception_name(v),
		     caught_error_code, (unsigned long long)value);
}

static void segment_bases_take_effect(void)
{
	static u64 fs_probe = 0x1111, gs_probe = 0x2222, kgs_probe = 0x3333;
	u64 old_fs = rdmsr(MSR_FS_BASE), old_gs = rdmsr(MSR_GS_BASE);
	u64 old_kgs = rdmsr(MSR_KERNEL_GS_BASE), fs_read, gs_read, swapped;

	wrmsr(MSR_FS_BASE, (unsigned long)&fs_probe);
	wrmsr(MSR_GS_BASE, (unsigned long)&gs_probe);
	wrmsr(MSR_KERNEL_GS_BASE, (unsigned long)&kgs_probe);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs_read));
	__asm__ volatile("mov %%gs:0, %0" : "=r"(gs_read));
	__asm__ volatile("swapgs; mov %%gs:0, %0; swapgs" : "=r"(swapped));
	wrmsr(MSR_FS_BASE, old_fs);
	wrmsr(MSR_GS_BASE, old_gs);
	wrmsr(MSR_KERNEL_GS_BASE, old_kgs);

	ok(fs_read == fs_probe && gs_read == gs_probe, "FS_BASE and GS_BASE writes move %%fs and %%gs");
	ok_eq(swapped, kgs_probe, "SWAPGS exchanges GS_BASE with KERNEL_GS_BASE");
}

static void tsc_aux(void)
{
	if (cpuid(0x80000000u, 0).eax < 0x80000001u ||
	    !(cpuid(0x80000001u, 0).edx & CPUID_EXT1_EDX_RDTSCP)) {
		skip("no RDTSCP", "TSC_AUX round-trips and RDTSCP returns it");
		return;
	}
	u64 old = rdmsr(MSR_TSC_AUX);
	u32 aux, lo, hi;
	wrmsr(MSR_TSC_AUX, 0x42);
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	u64 got = rdmsr(MSR_TSC_AUX);
	wrmsr(MSR_TSC_AUX, old);
	ok(got == 0x42 && aux == 0x42, "TSC_AUX round-trips and RDTSCP returns it");
}

static void touch_undefined_msr(void *arg)
{
	u64 ignored;
	rdmsr_safe(MSR_UNDEFINED, &ignored);
	wrmsr_safe(MSR_UNDEFINED, 0);
}

static void denials_are_counted(void)
{
	struct hc_stats b, a;
	bool got = stats_around(touch_undefined_msr, NULL, &b, &a);
	if (!ok(got && a.msr_denied == b.msr_denied + 2, "hv: forbidden MSR accesses are counted (+2)") && got)
		diag("msr_denied %lu -> %lu", b.msr_denied, a.msr_denied);
}

void test_main(void)
{
	plan(22);
	u64 apic = rdmsr(MSR_APIC_BASE);
	ok((apic & ~0xFFFull) == 0xFEE00000u && (apic & APIC_BASE_BSP) && (apic & APIC_BASE_ENABLE),
	   "IA32_APIC_BASE: base 0xFEE00000, BSP, enabled (0x%llx)", (unsigned long long)apic);
	u64 efer = rdmsr(MSR_EFER);
	ok((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA), "EFER has LME and LMA set in long mode");
	round_trip(MSR_EFER, "EFER", efer ^ EFER_SCE);
	round_trip(MSR_STAR, "STAR", 0x0023001012345678ull);
	round_trip(MSR_LSTAR, "LSTAR", 0xFFFFFFFF81234560ull);
	round_trip(MSR_CSTAR, "CSTAR", 0xFFFFFFFF81234570ull);
	round_trip(MSR_SFMASK, "SFMASK", 0x47700);
	round_trip(MSR_FS_BASE, "FS_BASE", 0x0000123456789000ull);
	round_trip(MSR_GS_BASE, "GS_BASE", 0x00007FFF12340000ull);
	round_trip(MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE", 0xFFFF800012345000ull);
	round_trip(MSR_SYSENTER_CS, "SYSENTER_CS", 0x10);
	round_trip(MSR_SYSENTER_ESP, "SYSENTER_ESP", 0x80001000u); /* 32 bits: AMD keeps no more */
	round_trip(MSR_SYSENTER_EIP, "SYSENTER_EIP", 0x80002000u);
	round_trip(MSR_PAT, "PAT", 0x0007010600070106ull); /* WT entries made WC */
	u64 eip = rdmsr(MSR_SYSENTER_EIP), esp = rdmsr(MSR_SYSENTER_ESP);
	ok(wrmsr_safe(MSR_SYSENTER_EIP, 0x8000000000001000ull) == EXC_GP &&
	   wrmsr_safe(MSR_SYSENTER_ESP, 0x0000800000000000ull) == EXC_GP,
	   "hv: non-canonical SYSENTER_EIP/ESP raise #GP (VT-x could not enter with them)");
	wrmsr(MSR_SYSENTER_EIP, eip);
	wrmsr(MSR_SYSENTER_ESP, esp);
	tsc_aux();
	segment_bases_take_effect();

	forbidden(MSR_VM_HSAVE_PA, false, "VM_HSAVE_PA");
	forbidden(MSR_UNDEFINED, false, "an undefined MSR");
	forbidden(MSR_UNDEFINED, true, "an undefined MSR");
	denials_are_counted();
}
