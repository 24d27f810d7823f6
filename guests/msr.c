/*
 * MSRs: the allow-list lets these through (each one written, read back and
 * restored): EFER, STAR, LSTAR, CSTAR, SFMASK, FS/GS/KERNEL_GS base,
 * SYSENTER_CS/ESP/EIP, PAT, TSC_AUX (when RDTSCP exists); IA32_APIC_BASE is
 * read. EFER's reserved bits and a change of LME with paging on raise #GP.
 * Then the PC's other MSRs (pc_msrs[]): each exists exactly when CPUID
 * says so, round-trips or is read-only as its CPU has it, and refuses
 * reserved bits. Anything else raises #GP inside the guest.
 */
#include "guest.h"
#include "x86.h"

#define MSR_VM_HSAVE_PA 0xC0010117u /* the hypervisor's own: never the guest's */
#define MSR_UNDEFINED 0x1234u       /* no CPU defines it */

#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_ENABLE (1u << 11)

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

/* --- the PC's MSRs, by the CPUID rule (GUEST-PLATFORM.md) --- */

enum msr_feature { F_ANY, F_INTEL, F_AMD, F_MTRR, F_MCA, F_PMC0, F_PMC1, F_SPEC_CTRL, F_PRED_CMD,
		   F_ARCH_CAP, F_FLUSH_CMD, F_TSC_DEADLINE, F_TSC_ADJUST, F_VMX, F_SVM };

enum msr_kind {
	RW,      /* round-trips `probe` (XORed into the value read) */
	RO,      /* writing back the value read raises #GP */
	ACCEPTS, /* writing back the value read is accepted */
};

struct pc_msr {
	u32 index;
	const char *name;
	enum msr_feature feature;
	enum msr_kind kind;
	u64 probe;       /* RW: bits flipped for the round trip */
	u64 reserved;    /* a bit the MSR refuses (#GP), 0: none tested */
	bool qemu_keeps; /* plain QEMU (TCG) stores it, so the round trip holds there too */
};

static const struct pc_msr pc_msrs[] = {
	{ 0x17, "PLATFORM_ID", F_INTEL, RO, 0, 0, false },
	{ 0x3a, "FEATURE_CONTROL", F_INTEL, RO, 0, 0, false },
	{ 0x8b, "BIOS_SIGN_ID", F_ANY, ACCEPTS, 0, 0, false }, /* AMD: PATCH_LEVEL */
	{ 0xfe, "MTRRCAP", F_MTRR, RO, 0, 0, false },
	{ 0x200, "MTRR_PHYSBASE0", F_MTRR, RW, 0x80000006ull, 1ull << 8, true },
	{ 0x201, "MTRR_PHYSMASK0", F_MTRR, RW, 0xf80000800ull, 1ull << 0, true },
	{ 0x20f, "MTRR_PHYSMASK7", F_MTRR, RW, 0xffff00800ull, 1ull << 10, true },
	{ 0x250, "MTRR_FIX64K_00000", F_MTRR, RW, 0x0606060606060606ull, 2ull << 8, true },
	{ 0x259, "MTRR_FIX16K_A0000", F_MTRR, RW, 0x0101010101010101ull, 3ull << 16, true },
	{ 0x26f, "MTRR_FIX4K_F8000", F_MTRR, RW, 0x0505050505050505ull, 7ull << 56, true },
	{ 0x2ff, "MTRR_DEF_TYPE", F_MTRR, RW, 0xc06, 1ull << 12, true },
	{ 0x179, "MCG_CAP", F_MCA, RO, 0, 0, false },
	{ 0x17a, "MCG_STATUS", F_MCA, RW, 0x1, 1ull << 3, true },
	{ 0x17b, "MCG_CTL", F_MCA, RW, ~0ull, 0, true },
	{ 0x401, "MC0_STATUS", F_MCA, RW, 0, 1ull << 63, true },
	{ 0x402, "MC0_ADDR", F_MCA, RW, 0x12345000ull, 0, true },
	{ 0x40f, "MC3_MISC", F_MCA, RW, 0x55, 0, true },
	{ 0x1a0, "MISC_ENABLE", F_INTEL, RW, 1ull << 0, 1ull << 1, true },
	{ 0xc1, "PMC0", F_PMC0, RW, 0x12345678ull, 0, false },
	{ 0xc2, "PMC1", F_PMC1, RW, 0x1234ull, 0, false },
	{ 0x186, "PERFEVTSEL0", F_PMC0, RW, 0xc0, 1ull << 32, false },
	{ 0x187, "PERFEVTSEL1", F_PMC1, RW, 0x3c, 1ull << 40, false },
	{ 0xc0010000u, "PERF_CTL0", F_AMD, RW, 0x76, 1ull << 42, false },
	{ 0xc0010003u, "PERF_CTL3", F_AMD, RW, 0xc0, 1ull << 63, false },
	{ 0xc0010004u, "PERF_CTR0", F_AMD, RW, 0x123456789ull, 1ull << 48, false },
	{ 0xc0010007u, "PERF_CTR3", F_AMD, RW, 0xffffffffffffull, 1ull << 60, false },
	{ 0xc0010010u, "SYSCFG", F_AMD, ACCEPTS, 0, 0, false },
	{ 0xc0010015u, "HWCR", F_AMD, RW, 1ull << 24, 1ull << 2, false },
	{ 0xc001001au, "TOP_MEM", F_AMD, RO, 0, 0, false },
	{ 0xc0011029u, "DE_CFG", F_AMD, RW, 1ull << 1, 1ull << 0, false },
	{ 0x48, "SPEC_CTRL", F_SPEC_CTRL, ACCEPTS, 0, 0, false },
	{ 0x49, "PRED_CMD", F_PRED_CMD, ACCEPTS, 0, 0, false },
	{ 0x10a, "ARCH_CAPABILITIES", F_ARCH_CAP, RO, 0, 0, false },
	{ 0x10b, "FLUSH_CMD", F_FLUSH_CMD, ACCEPTS, 0, 0, false },
	{ 0x6e0, "TSC_DEADLINE", F_TSC_DEADLINE, ACCEPTS, 0, 0, false },
	{ 0x3b, "TSC_ADJUST", F_TSC_ADJUST, ACCEPTS, 0, 0, false },
	{ 0x480, "VMX_BASIC", F_VMX, RO, 0, 0, false },
	{ 0xc0010114u, "VM_CR", F_SVM, RO, 0, 0, false },
};

static bool bit(u32 reg, int n) { return reg & (1u << n); }

/* Does the guest's CPUID say its CPU has the feature? */
static bool cpuid_shows(enum msr_feature f)
{
	struct cpuid_regs l0 = cpuid(0, 0), l1 = cpuid(1, 0);
	struct cpuid_regs l7 = l0.eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){ 0 };
	struct cpuid_regs la = l0.eax >= 0xa ? cpuid(0xa, 0) : (struct cpuid_regs){ 0 };
	u32 ext_max = cpuid(0x80000000u, 0).eax;
	struct cpuid_regs e1 = ext_max >= 0x80000001u ? cpuid(0x80000001u, 0) : (struct cpuid_regs){ 0 };
	struct cpuid_regs e8 = ext_max >= 0x80000008u ? cpuid(0x80000008u, 0) : (struct cpuid_regs){ 0 };
	bool intel = !memcmp(&l0.ebx, "Genu", 4), amd = !memcmp(&l0.ebx, "Auth", 4);
	u32 pmcs = intel && (la.eax & 0xff) ? (la.eax >> 8) & 0xff : 0;

	switch (f) {
	case F_ANY: return intel || amd;
	case F_INTEL: return intel;
	case F_AMD: return amd;
	case F_MTRR: return bit(l1.edx, 12);
	case F_MCA: return bit(l1.edx, 7) && bit(l1.edx, 14);
	case F_PMC0: return pmcs > 0;
	case F_PMC1: return pmcs > 1;
	case F_SPEC_CTRL: return bit(l7.edx, 26) || bit(l7.edx, 27) || bit(l7.edx, 31) ||
				 bit(e8.ebx, 14) || bit(e8.ebx, 15) || bit(e8.ebx, 24);
	case F_PRED_CMD: return bit(l7.edx, 26) || bit(e8.ebx, 12);
	case F_ARCH_CAP: return bit(l7.edx, 29);
	case F_FLUSH_CMD: return bit(l7.edx, 28);
	case F_TSC_DEADLINE: return bit(l1.ecx, 24);
	case F_TSC_ADJUST: return bit(l7.ebx, 1);
	case F_VMX: return bit(l1.ecx, 5);
	case F_SVM: return bit(e1.ecx, 2);
	}
	return false;
}

/* Three tests: exists as CPUID says; round trip / read-only; reserved bit. */
static void walk_one(const struct pc_msr *m)
{
	u64 old = 0, got = 0;
	int r = rdmsr_safe(m->index, &old);

	if (!cpuid_shows(m->feature)) {
		ok(r == EXC_GP, "hv: %s (0x%x) is absent as CPUID says: RDMSR raises #GP", m->name, m->index);
		skip("absent", "%s round trip", m->name);
		skip("absent", "%s reserved bits", m->name);
		return;
	}
	ok(r < 0, "%s (0x%x) is present as CPUID says: RDMSR works (0x%llx)", m->name, m->index,
	   (unsigned long long)old);
	if (m->kind == RO) {
		ok(wrmsr_safe(m->index, old) == EXC_GP, "hv: %s is read-only: WRMSR raises #GP", m->name);
	} else if (m->kind == ACCEPTS) {
		ok(wrmsr_safe(m->index, old) < 0, "%s accepts its own value back", m->name);
	} else {
		int w = wrmsr_safe(m->index, old ^ m->probe);
		rdmsr_safe(m->index, &got);
		wrmsr_safe(m->index, old);
		if (!ok(w < 0 && got == (old ^ m->probe), "%s%s round-trips 0x%llx", m->qemu_keeps ? "" : "hv: ",
			m->name, (unsigned long long)(old ^ m->probe)))
			diag("write %s, read back 0x%llx", w < 0 ? "ok" : exception_name(w), (unsigned long long)got);
	}
	if (!m->reserved) {
		skip("no reserved bit to try", "%s reserved bits", m->name);
		return;
	}
	int w = wrmsr_safe(m->index, old | m->reserved);
	if (w < 0)
		wrmsr_safe(m->index, old);
	ok(w == EXC_GP, "hv: %s refuses reserved bit(s) 0x%llx with #GP", m->name, (unsigned long long)m->reserved);
}

static void efer_rules(void)
{
	u64 efer = rdmsr(MSR_EFER);
	int w = wrmsr_safe(MSR_EFER, efer | (1ull << 2)); /* bit 2: reserved */
	if (w < 0)
		wrmsr_safe(MSR_EFER, efer);
	ok(w == EXC_GP, "hv: EFER reserved bit 2 raises #GP");
	w = wrmsr_safe(MSR_EFER, efer & ~(u64)EFER_LME);
	if (w < 0)
		wrmsr_safe(MSR_EFER, efer);
	ok(w == EXC_GP, "hv: clearing EFER.LME with paging on raises #GP");
}

void test_main(void)
{
	plan(24 + 3 * ARRAY_SIZE(pc_msrs));
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
	efer_rules();
	for (u32 i = 0; i < ARRAY_SIZE(pc_msrs); i++)
		walk_one(&pc_msrs[i]);
}
