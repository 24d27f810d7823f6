/*
 * The PC's MSRs beyond the guest state (hv/vm/msr_pc.h), one rule per range.
 * The rule: an MSR exists for the guest when the guest's own CPUID says its
 * CPU has it (the feature bit, the PMU leaf, the vendor string); then it
 * reads and writes as the SDM/APM describe it, with reserved bits raising
 * #GP; otherwise the caller raises #GP. The counters count nothing: their
 * CPUID leaves admit no event (Intel) or none is wired (AMD).
 */
#include "hv/vm/msr_pc.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"

#define MCG_CTL_P (1ull << 8)
#define MTRRCAP_FIX (1ull << 8)
#define MTRRCAP_WC (1ull << 10)
#define MISC_ENABLE_FAST_STRING (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ull << 12)
#define FEATURE_CONTROL_LOCKED 1ull
#define TOP_MEM_GRANULE (8ull << 20) /* TOP_MEM holds bits 47:23 */
#define HWCR_WRITABLE ((1ull << 3) | (1ull << 6) | (1ull << 8) | (1ull << 18) | (1ull << 24))
#define DE_CFG_LFENCE_SERIALIZE (1ull << 1)

/* Where each stored range starts in struct msr_pc_state. */
enum {
	SLOT_MTRR_VAR = 0,
	SLOT_MTRR_FIX = SLOT_MTRR_VAR + 2 * MSR_PC_MTRR_VAR,
	SLOT_MTRR_DEF = SLOT_MTRR_FIX + 11,
	SLOT_MCG_STATUS,
	SLOT_MCG_CTL,
	SLOT_MC_BANKS,
	SLOT_AMD_PERF = SLOT_MC_BANKS + 4 * MSR_PC_MCA_BANKS,
	SLOT_INTEL_PMC = SLOT_AMD_PERF + 8,
	SLOT_INTEL_EVTSEL = SLOT_INTEL_PMC + MSR_PC_INTEL_COUNTERS,
	SLOT_MISC_ENABLE = SLOT_INTEL_EVTSEL + MSR_PC_INTEL_COUNTERS,
	SLOT_HWCR,
	SLOT_DE_CFG,
	SLOT_COUNT,
	NOT_STORED = -1,
};
_Static_assert(SLOT_COUNT <= MSR_PC_SLOTS, "struct msr_pc_state is too small");

struct msr_rule {
	u32 first, count;
	const char *name;
	/* n = index - first */
	bool (*present)(const struct vcpu *vcpu, u32 n);
	u64 (*reset)(const struct vcpu *vcpu, u32 n);
	/* NULL: read-only (#GP on write). Else false = #GP; may adjust what is stored. */
	bool (*write_ok)(const struct vcpu *vcpu, u32 n, u64 *value);
	int slot; /* NOT_STORED: reads reset(), accepted writes change nothing */
};

/* --- what the guest's CPUID shows --- */

static struct cpuid_regs guest_cpuid(const struct vcpu *vcpu, u32 leaf)
{
	struct cpuid_regs r;
	cpuid_for_guest(vcpu, leaf, 0, &r);
	return r;
}

static bool is_amd(const struct vcpu *vcpu, u32 n)
{
	u32 ebx = guest_cpuid(vcpu, 0).ebx;
	return ebx == 0x68747541u /* "Auth" */ || ebx == 0x6f677948u /* "Hygo" */;
}

static bool is_intel(const struct vcpu *vcpu, u32 n)
{
	return guest_cpuid(vcpu, 0).ebx == 0x756e6547u; /* "Genu" */
}

static bool any_vendor(const struct vcpu *vcpu, u32 n)
{
	return is_amd(vcpu, n) || is_intel(vcpu, n);
}

static bool has_mtrr(const struct vcpu *vcpu, u32 n)
{
	return guest_cpuid(vcpu, 1).edx & (1u << 12);
}

static bool has_mca(const struct vcpu *vcpu, u32 n)
{
	return (guest_cpuid(vcpu, 1).edx & ((1u << 7) | (1u << 14))) == ((1u << 7) | (1u << 14));
}

/* Architectural performance monitoring: leaf 0xA's version and counter count. */
static bool has_intel_counter(const struct vcpu *vcpu, u32 n)
{
	if (!is_intel(vcpu, 0) || guest_cpuid(vcpu, 0).eax < 0xa)
		return false;
	u32 eax = guest_cpuid(vcpu, 0xa).eax;
	return (eax & 0xff) >= 1 && n < ((eax >> 8) & 0xff);
}

static u32 guest_maxphyaddr(const struct vcpu *vcpu)
{
	if (guest_cpuid(vcpu, 0x80000000u).eax < 0x80000008u)
		return 36;
	return guest_cpuid(vcpu, 0x80000008u).eax & 0xff;
}

/* --- power-on values --- */

static u64 zero(const struct vcpu *vcpu, u32 n) { return 0; }
static u64 all_ones(const struct vcpu *vcpu, u32 n) { return ~0ull; }
static u64 mtrr_cap(const struct vcpu *vcpu, u32 n) { return MSR_PC_MTRR_VAR | MTRRCAP_FIX | MTRRCAP_WC; }
static u64 mcg_cap(const struct vcpu *vcpu, u32 n) { return MCG_CTL_P | MSR_PC_MCA_BANKS; }
static u64 feature_control(const struct vcpu *vcpu, u32 n) { return FEATURE_CONTROL_LOCKED; }

/* MCi_CTL all ones (every error reported), STATUS/ADDR/MISC zero. */
static u64 mc_bank_reset(const struct vcpu *vcpu, u32 n) { return n % 4 == 0 ? ~0ull : 0; }

static u64 misc_enable(const struct vcpu *vcpu, u32 n)
{
	return MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
}

/* Microcode revision 1: Intel reports it in EDX, AMD's PATCH_LEVEL in EAX. */
static u64 bios_sign_id(const struct vcpu *vcpu, u32 n)
{
	return is_intel(vcpu, 0) ? 1ull << 32 : 1;
}

/* DRAM below 4 GiB ends where the VM's RAM does (or the device hole starts). */
static u64 top_mem(const struct vcpu *vcpu, u32 n)
{
	return MIN(vcpu->vm->ram_bytes, (u64)HC_DEVICE_HOLE_START) & ~(TOP_MEM_GRANULE - 1);
}

/* --- what a write may hold --- */

static bool any_value(const struct vcpu *vcpu, u32 n, u64 *v) { return true; }
static bool only_zero(const struct vcpu *vcpu, u32 n, u64 *v) { return *v == 0; }
static bool zero_or_ones(const struct vcpu *vcpu, u32 n, u64 *v) { return *v == 0 || *v == ~0ull; }

/* UC, WC, WT, WP, WB: the memory types an MTRR may name. */
static bool mtrr_type_ok(u8 type)
{
	return type == 0 || type == 1 || type == 4 || type == 5 || type == 6;
}

static bool mtrr_var_ok(const struct vcpu *vcpu, u32 n, u64 *v)
{
	u64 above_phys = ~0ull << guest_maxphyaddr(vcpu);
	if (n % 2 == 0) /* PHYSBASE: type in 7:0, 11:8 reserved */
		return mtrr_type_ok((u8)*v) && !(*v & 0xf00) && !(*v & above_phys);
	return !(*v & 0x7ff) && !(*v & above_phys); /* PHYSMASK: valid bit 11 */
}

static bool mtrr_fixed_ok(const struct vcpu *vcpu, u32 n, u64 *v)
{
	for (int i = 0; i < 8; i++) {
		if (!mtrr_type_ok((u8)(*v >> (8 * i))))
			return false;
	}
	return true;
}

/* Default type in 7:0, FE bit 10, E bit 11; the rest reserved. */
static bool mtrr_def_ok(const struct vcpu *vcpu, u32 n, u64 *v)
{
	return mtrr_type_ok((u8)*v) && !(*v & ~0xcffull);
}

static bool mcg_status_ok(const struct vcpu *vcpu, u32 n, u64 *v) { return !(*v & ~7ull); }

/* MCi_STATUS accepts only 0 (clearing a logged error); CTL, ADDR and MISC any value. */
static bool mc_bank_ok(const struct vcpu *vcpu, u32 n, u64 *v)
{
	return n % 4 == 1 ? *v == 0 : true;
}

/* AMD PerfEvtSel: bits 63:42 reserved; PerfCtr: 48 bits. */
static bool amd_perf_ok(const struct vcpu *vcpu, u32 n, u64 *v)
{
	return n < 4 ? !(*v >> 42) : !(*v >> MSR_PC_COUNTER_BITS);
}

/* WRMSR to IA32_PMCi writes bits 31:0, sign-extended to the counter's width (SDM 18.2.1). */
static bool intel_pmc_write(const struct vcpu *vcpu, u32 n, u64 *v)
{
	*v = (u64)(s64)(s32)*v & ((1ull << MSR_PC_COUNTER_BITS) - 1);
	return true;
}

static bool intel_evtsel_ok(const struct vcpu *vcpu, u32 n, u64 *v) { return !(*v >> 32); }

/* Fast strings may be turned off; BTS/PEBS unavailable stay set; nothing else exists. */
static bool misc_enable_ok(const struct vcpu *vcpu, u32 n, u64 *v)
{
	return !((*v ^ misc_enable(vcpu, 0)) & ~MISC_ENABLE_FAST_STRING);
}

static bool hwcr_ok(const struct vcpu *vcpu, u32 n, u64 *v) { return !(*v & ~HWCR_WRITABLE); }
static bool de_cfg_ok(const struct vcpu *vcpu, u32 n, u64 *v) { return !(*v & ~DE_CFG_LFENCE_SERIALIZE); }

static const struct msr_rule rules[] = {
	{ 0x17, 1, "PLATFORM_ID", is_intel, zero, NULL, NOT_STORED },
	{ 0x3a, 1, "FEATURE_CONTROL", is_intel, feature_control, NULL, NOT_STORED },
	{ 0x8b, 1, "BIOS_SIGN_ID", any_vendor, bios_sign_id, any_value, NOT_STORED },
	{ 0xc1, MSR_PC_INTEL_COUNTERS, "PMC", has_intel_counter, zero, intel_pmc_write, SLOT_INTEL_PMC },
	{ 0xfe, 1, "MTRRCAP", has_mtrr, mtrr_cap, NULL, NOT_STORED },
	{ 0x179, 1, "MCG_CAP", has_mca, mcg_cap, NULL, NOT_STORED },
	{ 0x17a, 1, "MCG_STATUS", has_mca, zero, mcg_status_ok, SLOT_MCG_STATUS },
	{ 0x17b, 1, "MCG_CTL", has_mca, all_ones, zero_or_ones, SLOT_MCG_CTL },
	{ 0x186, MSR_PC_INTEL_COUNTERS, "PERFEVTSEL", has_intel_counter, zero, intel_evtsel_ok, SLOT_INTEL_EVTSEL },
	{ 0x1a0, 1, "MISC_ENABLE", is_intel, misc_enable, misc_enable_ok, SLOT_MISC_ENABLE },
	{ 0x200, 2 * MSR_PC_MTRR_VAR, "MTRR_PHYS", has_mtrr, zero, mtrr_var_ok, SLOT_MTRR_VAR },
	{ 0x250, 1, "MTRR_FIX64K", has_mtrr, zero, mtrr_fixed_ok, SLOT_MTRR_FIX },
	{ 0x258, 2, "MTRR_FIX16K", has_mtrr, zero, mtrr_fixed_ok, SLOT_MTRR_FIX + 1 },
	{ 0x268, 8, "MTRR_FIX4K", has_mtrr, zero, mtrr_fixed_ok, SLOT_MTRR_FIX + 3 },
	{ 0x2ff, 1, "MTRR_DEF_TYPE", has_mtrr, zero, mtrr_def_ok, SLOT_MTRR_DEF },
	{ 0x400, 4 * MSR_PC_MCA_BANKS, "MC_BANK", has_mca, mc_bank_reset, mc_bank_ok, SLOT_MC_BANKS },
	{ 0xc0010000u, 8, "PERF_LEGACY", is_amd, zero, amd_perf_ok, SLOT_AMD_PERF },
	{ 0xc0010010u, 1, "SYSCFG", is_amd, zero, only_zero, NOT_STORED },
	{ 0xc0010015u, 1, "HWCR", is_amd, zero, hwcr_ok, SLOT_HWCR },
	{ 0xc001001au, 1, "TOP_MEM", is_amd, top_mem, NULL, NOT_STORED },
	{ 0xc001001fu, 1, "NB_CFG", is_amd, zero, any_value, NOT_STORED },
	{ 0xc0011029u, 1, "DE_CFG", is_amd, zero, de_cfg_ok, SLOT_DE_CFG },
};

static const struct msr_rule *find_rule(const struct vcpu *vcpu, u32 index)
{
	for (u32 i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct msr_rule *r = &rules[i];
		if (index - r->first < r->count)
			return r->present(vcpu, index - r->first) ? r : NULL;
	}
	return NULL;
}

void msr_pc_reset(struct vcpu *vcpu)
{
	for (u32 i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct msr_rule *r = &rules[i];
		for (u32 n = 0; r->slot != NOT_STORED && n < r->count; n++)
			vcpu->msr_pc.val[r->slot + n] = r->reset(vcpu, n);
	}
}

enum msr_pc_result msr_pc_read(struct vcpu *vcpu, u32 index, u64 *value)
{
	const struct msr_rule *r = find_rule(vcpu, index);
	if (!r)
		return MSR_PC_UNKNOWN;
	u32 n = index - r->first;
	*value = r->slot == NOT_STORED ? r->reset(vcpu, n) : vcpu->msr_pc.val[r->slot + n];
	return MSR_PC_DONE;
}

enum msr_pc_result msr_pc_write(struct vcpu *vcpu, u32 index, u64 value)
{
	const struct msr_rule *r = find_rule(vcpu, index);
	if (!r)
		return MSR_PC_UNKNOWN;
	u32 n = index - r->first;
	if (!r->write_ok || !r->write_ok(vcpu, n, &value))
		return MSR_PC_FAULT;
	if (r->slot != NOT_STORED)
		vcpu->msr_pc.val[r->slot + n] = value;
	return MSR_PC_DONE;
}

bool msr_pc_rdpmc(struct vcpu *vcpu, u32 ecx, u64 *value)
{
	/* AMD: legacy counters 0-3 are PERF_CTR0-3; Intel: general-purpose counters
	 * are IA32_PMCn (no fixed counters, ECX bit 30, are announced). */
	if (is_amd(vcpu, 0))
		return ecx < 4 && msr_pc_read(vcpu, 0xc0010004u + ecx, value) == MSR_PC_DONE;
	return ecx < MSR_PC_INTEL_COUNTERS && msr_pc_read(vcpu, 0xc1 + ecx, value) == MSR_PC_DONE;
}
