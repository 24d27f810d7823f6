/* Guest register state the hardware does not switch (hv/vm/guest_switch.h). */
#include "hv/vm/guest_switch.h"
#include "hv/vm/xcr0.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/cpu/percpu.h"
#include "hv/cpu/irq.h"
#include "hv/console/console.h"
#include "hv/runner/options.h"
#include "hv/panic.h"
#include "mm/page_alloc.h"
#include "kstring.h"
#include "x86.h"

#define DR6_POWER_ON 0xffff0ff0ull
#define FCW_INIT 0x37f           /* FNINIT's control word: every exception masked */
#define MXCSR_INIT 0x1f80

/* The copy of one vCPU: one page, the XSAVE/FXSAVE area 64-byte aligned after the rest. */
#define AREA_OFFSET 64
struct guest_regs {
	u64 xcr0;
	u64 dr[4];
	u64 dr6;
	u64 tsc_aux;
	u8 pad[AREA_OFFSET - 7 * 8];
	u8 area[PAGE_SIZE - AREA_OFFSET];
};
_Static_assert(sizeof(struct guest_regs) == PAGE_SIZE, "one page per vCPU");

static struct {
	bool xsave;           /* XSAVE/XRSTOR, else FXSAVE/FXRSTOR */
	bool rdtscp;          /* TSC_AUX exists */
	bool ibpb, verw, l1d; /* the flushes this CPU offers */
	u64 xcr0_max;         /* every component the copies hold; what guests may enable */
} sw;

static void xsetbv(u32 index, u64 value)
{
	asm volatile("xsetbv" : : "c"(index), "a"((u32)value), "d"((u32)(value >> 32)) : "memory");
}

static u64 read_dr(int n)
{
	u64 v = 0;
	switch (n) {
	case 0: asm volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: asm volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: asm volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: asm volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: asm volatile("mov %%dr6, %0" : "=r"(v)); break;
	}
	return v;
}

static void write_dr(int n, u64 v)
{
	switch (n) {
	case 0: asm volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: asm volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: asm volatile("mov %0, %%dr2" : : "r"(v)); break;
	case 3: asm volatile("mov %0, %%dr3" : : "r"(v)); break;
	case 6: asm volatile("mov %0, %%dr6" : : "r"(v)); break;
	}
}

static const char *flush_name(u32 policy)
{
	static const char *const names[] = { "none", "ibpb", "full" };
	return policy < ARRAY_SIZE(names) ? names[policy] : "?";
}

void guest_switch_init(void)
{
	struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){ 0 };
	struct cpuid_regs e0 = cpuid(0x80000000u, 0);
	struct cpuid_regs e1 = e0.eax >= 0x80000001u ? cpuid(0x80000001u, 0) : (struct cpuid_regs){ 0 };
	struct cpuid_regs e8 = e0.eax >= 0x80000008u ? cpuid(0x80000008u, 0) : (struct cpuid_regs){ 0 };

	if (!(l1.edx & (1u << 24)))
		panic("guest state: this CPU has no FXSAVE; guests' SSE state could not be switched");
	/* FXSAVE/XSAVE fault with EM or TS set; OSFXSR makes them include the XMM registers. */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	sw.xsave = l1.ecx & (1u << 26);
	if (sw.xsave) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		struct cpuid_regs d = cpuid(0xd, 0);
		/* AMX tile data (8 KiB) does not fit the page: guests cannot enable it. */
		sw.xcr0_max = (d.eax | (u64)d.edx << 32) & (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_MPX |
							      XCR0_AVX512 | XCR0_PKRU);
		xsetbv(0, sw.xcr0_max);
		u32 size = cpuid(0xd, 0).ebx; /* for the components XCR0 enables now */
		if (size > sizeof(((struct guest_regs *)0)->area))
			panic("guest state: XSAVE area of %u bytes for XCR0 0x%lx does not fit a page", size,
			      (unsigned long)sw.xcr0_max);
		xsetbv(0, XCR0_X87);
	}
	sw.rdtscp = e1.edx & (1u << 27);
	sw.ibpb = (l7.edx & (1u << 26)) || (e8.ebx & (1u << 12));
	sw.verw = l7.edx & (1u << 10);
	sw.l1d = l7.edx & (1u << 28);
	kprintf("hv: guest state: %s (XCR0 up to 0x%lx), DR0-3/DR6%s per vCPU; vm_switch_flush=%s (IBPB %s, "
		"VERW %s, L1D flush %s)\n", sw.xsave ? "XSAVE" : "FXSAVE", (unsigned long)sw.xcr0_max,
		sw.rdtscp ? "/TSC_AUX" : "", flush_name(hv_options.vm_switch_flush),
		sw.ibpb ? "available" : "absent", sw.verw ? "clears buffers" : "absent",
		sw.l1d ? "available" : "absent");
}

u64 guest_xcr0_supported(void)
{
	return sw.xsave ? sw.xcr0_max : 0;
}

u64 guest_xcr0(const struct vcpu *vcpu)
{
	return vcpu->gregs->xcr0;
}

bool guest_switch_vcpu_create(struct vcpu *vcpu)
{
	struct guest_regs *g = (struct guest_regs *)palloc(1, PAGE_SIZE);
	if (!g)
		return false;
	memset(g, 0, sizeof(*g));
	g->xcr0 = XCR0_X87;
	g->dr6 = DR6_POWER_ON;
	/* The legacy region (FXSAVE layout, also XSAVE's first 512 bytes): FCW at 0, MXCSR at 24.
	 * XSTATE_BV stays 0: XRSTOR puts every other component in its initial state. */
	*(u16 *)&g->area[0] = FCW_INIT;
	*(u32 *)&g->area[24] = MXCSR_INIT;
	vcpu->gregs = g;
	return true;
}

void guest_switch_vcpu_destroy(struct vcpu *vcpu)
{
	u64 flags = irq_save();
	/* A vCPU runs on one CPU only (hv/vm/vendor.h), so only this one can name it. */
	if (this_cpu()->guest_owner == vcpu)
		this_cpu()->guest_owner = NULL;
	irq_restore(flags);
	if (vcpu->gregs)
		palloc_free((u64)vcpu->gregs, 1);
	vcpu->gregs = NULL;
}

/* Saving and restoring with every component enabled: a component the next
 * vCPU has disabled must not keep the previous owner's values (it could
 * enable it later and read them). */
static void xcr0_load(struct percpu *c, u64 xcr0)
{
	if (c->guest_xcr0 != xcr0) {
		xsetbv(0, xcr0);
		c->guest_xcr0 = xcr0;
	}
}

static void save(struct percpu *c, struct guest_regs *g)
{
	if (sw.xsave) {
		xcr0_load(c, sw.xcr0_max);
		asm volatile("xsave64 %0" : "=m"(*(u8(*)[sizeof(g->area)])g->area)
			     : "a"((u32)sw.xcr0_max), "d"((u32)(sw.xcr0_max >> 32)) : "memory");
	} else {
		asm volatile("fxsave64 %0" : "=m"(*(u8(*)[512])g->area) : : "memory");
	}
	for (int i = 0; i < 4; i++)
		g->dr[i] = read_dr(i);
	g->dr6 = read_dr(6);
	if (sw.rdtscp)
		g->tsc_aux = rdmsr(MSR_TSC_AUX);
}

static void load(struct percpu *c, struct guest_regs *g)
{
	if (sw.xsave) {
		xcr0_load(c, sw.xcr0_max);
		asm volatile("xrstor64 %0" : : "m"(*(u8(*)[sizeof(g->area)])g->area),
			     "a"((u32)sw.xcr0_max), "d"((u32)(sw.xcr0_max >> 32)) : "memory");
	} else {
		asm volatile("fxrstor64 %0" : : "m"(*(u8(*)[512])g->area) : "memory");
	}
	for (int i = 0; i < 4; i++)
		write_dr(i, g->dr[i]);
	write_dr(6, g->dr6);
	if (sw.rdtscp)
		wrmsr(MSR_TSC_AUX, g->tsc_aux);
}

/* Another VM's vCPU runs next on this CPU: what the previous one left in the predictors and buffers goes. */
static void flush_between_vms(void)
{
	u32 policy = hv_options.vm_switch_flush;

	if (policy == VM_SWITCH_FLUSH_NONE)
		return;
	if (sw.ibpb)
		wrmsr(MSR_PRED_CMD, 1);
	if (policy != VM_SWITCH_FLUSH_FULL)
		return;
	if (sw.l1d)
		wrmsr(MSR_FLUSH_CMD, 1);
	if (sw.verw) {
		u16 ds;
		asm volatile("mov %%ds, %0" : "=r"(ds));
		asm volatile("verw %0" : : "m"(ds) : "cc");
	}
}

void guest_switch_in(struct vcpu *vcpu)
{
	struct percpu *c = this_cpu();
	struct guest_regs *g = vcpu->gregs;

	if (c->guest_owner != vcpu) {
		if (c->guest_owner)
			save(c, c->guest_owner->gregs);
		if (c->guest_vm_serial != vcpu->vm->serial) {
			flush_between_vms();
			c->guest_vm_serial = vcpu->vm->serial;
		}
		load(c, g);
		c->guest_owner = vcpu;
	}
	if (sw.xsave)
		xcr0_load(c, g->xcr0);
}

bool xsetbv_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	const char *why = xcr0_invalid(exit->xcr.index, exit->xcr.value, sw.xcr0_max);
	if (why) {
		log_debug("[%s] XSETBV(%u, 0x%lx): %s: #GP\n", vcpu->vm->name, exit->xcr.index,
			  (unsigned long)exit->xcr.value, why);
		inject_exception(vcpu, VECTOR_GP, true, 0);
		return false;
	}
	vcpu->gregs->xcr0 = exit->xcr.value; /* loaded by guest_switch_in before the next entry */
	return true;
}

bool guest_has_tsc_aux(void)
{
	return sw.rdtscp;
}

/* The live MSR while this CPU holds the vCPU's state (interrupts off: no switch meanwhile). */
u64 guest_tsc_aux(struct vcpu *vcpu)
{
	u64 flags = irq_save();
	u64 v = (sw.rdtscp && this_cpu()->guest_owner == vcpu) ? rdmsr(MSR_TSC_AUX) : vcpu->gregs->tsc_aux;
	irq_restore(flags);
	return v;
}

void guest_set_tsc_aux(struct vcpu *vcpu, u64 value)
{
	u64 flags = irq_save();
	vcpu->gregs->tsc_aux = value;
	if (sw.rdtscp && this_cpu()->guest_owner == vcpu)
		wrmsr(MSR_TSC_AUX, value);
	irq_restore(flags);
}
