/*
 * Register state that is the vCPU's own, not the CPU's: the 16 XMM
 * registers (and the upper halves of YMM0-15 where CPUID shows AVX: XSAVE
 * switches them), MXCSR, the x87 control word and DR0-DR3. Two copies of this
 * guest run at once on one CPU (tests/attacks/attacks.cfg boots with
 * smp=off), each with its own seed= in args: each must start from the
 * power-on values (nothing left by the VM before it) and keep its own
 * values through many preemptions (the other VM ran in between). RDTSCP,
 * when it exists, reads this vCPU's TSC_AUX (0 at power-on), not the host's.
 * iters= sets how long it checks (each pass reads every register once).
 */
#include "guest.h"
#include "x86.h"

#define MXCSR_INIT 0x1f80u
#define FCW_INIT 0x37fu

struct fpu_regs {
	u64 xmm[16][2];
	u64 ymm_hi[16][2]; /* bits 255:128 of YMM0-15, zero without AVX */
	u32 mxcsr;
	u16 fcw;
	u64 dr[4];
	u32 aux;  /* TSC_AUX as RDTSCP reads it, when the CPU has RDTSCP */
};

static bool has_rdtscp, has_avx;

/* The compiler knows no SSE (-mgeneral-regs-only): moving XMM registers is done here. */
__asm__(".text\n"
	"xmm_store: movdqu %xmm0, 0(%rdi); movdqu %xmm1, 16(%rdi); movdqu %xmm2, 32(%rdi); movdqu %xmm3, 48(%rdi)\n"
	"  movdqu %xmm4, 64(%rdi); movdqu %xmm5, 80(%rdi); movdqu %xmm6, 96(%rdi); movdqu %xmm7, 112(%rdi)\n"
	"  movdqu %xmm8, 128(%rdi); movdqu %xmm9, 144(%rdi); movdqu %xmm10, 160(%rdi); movdqu %xmm11, 176(%rdi)\n"
	"  movdqu %xmm12, 192(%rdi); movdqu %xmm13, 208(%rdi); movdqu %xmm14, 224(%rdi); movdqu %xmm15, 240(%rdi)\n"
	"  ret\n"
	"xmm_load: movdqu 0(%rdi), %xmm0; movdqu 16(%rdi), %xmm1; movdqu 32(%rdi), %xmm2; movdqu 48(%rdi), %xmm3\n"
	"  movdqu 64(%rdi), %xmm4; movdqu 80(%rdi), %xmm5; movdqu 96(%rdi), %xmm6; movdqu 112(%rdi), %xmm7\n"
	"  movdqu 128(%rdi), %xmm8; movdqu 144(%rdi), %xmm9; movdqu 160(%rdi), %xmm10; movdqu 176(%rdi), %xmm11\n"
	"  movdqu 192(%rdi), %xmm12; movdqu 208(%rdi), %xmm13; movdqu 224(%rdi), %xmm14; movdqu 240(%rdi), %xmm15\n"
	"  ret\n");
void xmm_store(u64 (*xmm)[2]);
void xmm_load(const u64 (*xmm)[2]);

/* Bits 255:128 of each YMM register (legacy SSE moves above leave them alone). */
__asm__(".text\n"
	"ymm_hi_store:\n"
	"  .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"  vextractf128 $1, %ymm\\i, 16*\\i(%rdi)\n"
	"  .endr\n"
	"  ret\n"
	"ymm_hi_load:\n"
	"  .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"  vinsertf128 $1, 16*\\i(%rdi), %ymm\\i, %ymm\\i\n"
	"  .endr\n"
	"  ret\n");
void ymm_hi_store(u64 (*hi)[2]);
void ymm_hi_load(const u64 (*hi)[2]);

/* AVX where CPUID shows it with XSAVE: CR4.OSXSAVE and XCR0 = x87 | SSE | AVX. */
static bool enable_avx(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	if (!(r.ecx & (1u << 26)) || !(r.ecx & (1u << 28)))
		return false;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	__asm__ volatile("xsetbv" : : "c"(0), "a"(7), "d"(0));
	return true;
}

static u64 read_dr(int n)
{
	u64 v = 0;
	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	}
	return v;
}

static void write_dr(int n, u64 v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
	}
}

static u32 rdtscp_aux(void)
{
	u32 lo, hi, aux;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static void read_all(struct fpu_regs *r)
{
	r->aux = has_rdtscp ? rdtscp_aux() : 0;
	xmm_store(r->xmm);
	if (has_avx)
		ymm_hi_store(r->ymm_hi);
	__asm__ volatile("stmxcsr %0" : "=m"(r->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(r->fcw));
	for (int i = 0; i < 4; i++)
		r->dr[i] = read_dr(i);
}

static void write_all(const struct fpu_regs *r)
{
	xmm_load(r->xmm);
	if (has_avx)
		ymm_hi_load(r->ymm_hi);
	__asm__ volatile("ldmxcsr %0" : : "m"(r->mxcsr));
	__asm__ volatile("fldcw %0" : : "m"(r->fcw));
	for (int i = 0; i < 4; i++)
		write_dr(i, r->dr[i]); /* DR7 stays 0: no breakpoint is armed */
	if (has_rdtscp)
		wrmsr(0xc0000103u, r->aux);
}

/* Values that differ per seed in every register (and in the rounding-control bits). */
static void pattern(struct fpu_regs *r, u64 seed)
{
	for (int i = 0; i < 16; i++) {
		r->xmm[i][0] = seed * 0x9e3779b97f4a7c15ull + (u64)i;
		r->xmm[i][1] = ~r->xmm[i][0] ^ ((u64)i << 56);
		r->ymm_hi[i][0] = has_avx ? r->xmm[i][0] * 3 : 0;
		r->ymm_hi[i][1] = has_avx ? ~r->xmm[i][1] * 5 : 0;
	}
	r->mxcsr = MXCSR_INIT | (u32)(seed & 3) << 13;   /* RC */
	r->fcw = (u16)(FCW_INIT & ~0xc00u) | (u16)((seed + 1) & 3) << 10;
	for (int i = 0; i < 4; i++)
		r->dr[i] = 0x100000ull * (seed + 1) + 0x1000ull * (u64)i;
	r->aux = has_rdtscp ? (u32)seed * 0x1111u : 0;
}

static bool same(const struct fpu_regs *a, const struct fpu_regs *b)
{
	return memcmp(a->xmm, b->xmm, sizeof(a->xmm)) == 0 && memcmp(a->ymm_hi, b->ymm_hi, sizeof(a->ymm_hi)) == 0 &&
	       a->mxcsr == b->mxcsr && a->fcw == b->fcw &&
	       memcmp(a->dr, b->dr, sizeof(a->dr)) == 0 && a->aux == b->aux;
}

static void do_rdtscp(void *arg)
{
	*(u32 *)arg = rdtscp_aux();
}

/* RDTSCP and a writable TSC_AUX (our hypervisor hides RDTSCP from CPUID, so probe). */
static void probe_tsc_aux(void *arg)
{
	wrmsr(0xc0000103u, rdmsr(0xc0000103u));
	*(u32 *)arg = rdtscp_aux();
}

void test_main(void)
{
	u64 seed = cmdline_number("seed", 1), iters = cmdline_number("iters", 200000);
	struct fpu_regs fresh, want, got;
	u64 bad = 0;

	plan(9);
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	has_avx = enable_avx();

	u32 aux = 0xffffffffu;
	int v = catch_exception(do_rdtscp, &aux);
	if (v == EXC_UD)
		skip("no RDTSCP on this CPU", "hv: RDTSCP reads this vCPU's TSC_AUX");
	else
		ok(v < 0 && aux == 0, "hv: RDTSCP reads this vCPU's TSC_AUX (0 at power-on), got 0x%x", aux);
	u32 scratch;
	has_rdtscp = catch_exception(probe_tsc_aux, &scratch) < 0;

	read_all(&fresh);
	u64 xmm_or = 0;
	for (int i = 0; i < 16; i++)
		xmm_or |= fresh.xmm[i][0] | fresh.xmm[i][1];
	ok_eq(xmm_or, 0, "hv: a new vCPU's XMM registers are zero (nothing from another VM)");
	if (has_avx) {
		u64 hi_or = 0;
		for (int i = 0; i < 16; i++)
			hi_or |= fresh.ymm_hi[i][0] | fresh.ymm_hi[i][1];
		ok_eq(hi_or, 0, "hv: a new vCPU's YMM upper halves are zero");
	} else {
		skip("no AVX in CPUID", "hv: a new vCPU's YMM upper halves are zero");
	}
	ok_eq(fresh.mxcsr, MXCSR_INIT, "hv: a new vCPU's MXCSR is its power-on value");
	ok_eq(fresh.fcw, FCW_INIT, "hv: a new vCPU's x87 control word is FNINIT's");
	ok_eq(fresh.dr[0] | fresh.dr[1] | fresh.dr[2] | fresh.dr[3], 0, "hv: a new vCPU's DR0-DR3 are zero");

	pattern(&want, seed);
	write_all(&want);
	read_all(&got);
	ok(same(&got, &want), "XMM0-15%s, MXCSR, FCW, DR0-3%s hold what was written (seed %lu)",
	   has_avx ? " (YMM too)" : "", has_rdtscp ? " and TSC_AUX" : "", (unsigned long)seed);
	for (u64 i = 0; i < iters; i++) {
		read_all(&got);
		if (!same(&got, &want)) {
			if (!bad++)
				diag("pass %lu: xmm0 0x%lx mxcsr 0x%x fcw 0x%x dr0 0x%lx aux 0x%x (want 0x%lx 0x%x 0x%x 0x%lx 0x%x)",
				     (unsigned long)i, (unsigned long)got.xmm[0][0], got.mxcsr, got.fcw,
				     (unsigned long)got.dr[0], got.aux, (unsigned long)want.xmm[0][0], want.mxcsr,
				     want.fcw, (unsigned long)want.dr[0], want.aux);
			write_all(&want);
		}
	}
	ok_eq(bad, 0, "the registers kept their values over %lu passes (other VMs ran meanwhile)",
	      (unsigned long)iters);

	/* Leave a mark for the VM that runs next on this CPU to find (it must not). */
	pattern(&want, seed + 100);
	write_all(&want);
	read_all(&got);
	ok(same(&got, &want), "a last pattern is left in the registers for the next VM not to see");
}
