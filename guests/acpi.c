/*
 * ACPI as an OS finds it (GUEST-PLATFORM.md): the RSDP searched in
 * 0xE0000-0xFFFFF, checksums of the RSDP and of every table the XSDT (or
 * the RSDT) lists, the FADT's PM blocks and SCI, a DSDT defining \_S5, the
 * FACS, the MADT's local APICs (one per vCPU), IOAPIC, IRQ0 override and
 * LINT1 NMI; the PM timer's rate against the TSC of the hypervisor's
 * timing leaf. Then the machine goes off through ACPI: `end=s5` (default)
 * writes \_S5 with SLP_EN to PM1a_CNT (the VM ends as exit:0), `end=reset`
 * writes the FADT's reset register (the VM ends as reset). Plain QEMU ends
 * the same way (-no-reboot: status 0 for both).
 */
#include "guest.h"

#define HDR 36
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_NMI 4
#define SLP_EN (1u << 13)

static u32 rd32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }

static bool sum_ok(const u8 *p, u32 len)
{
	u8 s = 0;
	for (u32 i = 0; i < len; i++)
		s += p[i];
	return s == 0;
}

static const u8 *find_rsdp(void)
{
	for (unsigned long a = 0xE0000; a < 0x100000; a += 16) {
		const u8 *p = (const u8 *)a;
		if (!memcmp(p, "RSD PTR ", 8) && sum_ok(p, 20))
			return p;
	}
	return NULL;
}

struct tables {
	const u8 *fadt, *madt, *dsdt, *facs;
	bool all_sums_ok;
	u32 count;
};

/* Every table the root table lists: checksums, and the ones used here. */
static void walk_root(const u8 *root, bool xsdt, struct tables *t)
{
	u32 width = xsdt ? 8 : 4, n = (rd32(root + 4) - HDR) / width;
	t->all_sums_ok = sum_ok(root, rd32(root + 4));
	for (u32 i = 0; i < n; i++) {
		const u8 *tab = (const u8 *)(unsigned long)(xsdt ? rd64(root + HDR + 8 * i) : rd32(root + HDR + 4 * i));
		t->count++;
		if (!sum_ok(tab, rd32(tab + 4))) {
			t->all_sums_ok = false;
			diag("table %.4s: bad checksum", (const char *)tab);
		}
		if (!memcmp(tab, "FACP", 4))
			t->fadt = tab;
		else if (!memcmp(tab, "APIC", 4))
			t->madt = tab;
	}
	if (t->fadt) {
		u32 len = rd32(t->fadt + 4);
		t->dsdt = (const u8 *)(unsigned long)(len >= 148 && rd64(t->fadt + 140) ? rd64(t->fadt + 140) : rd32(t->fadt + 40));
		t->facs = (const u8 *)(unsigned long)(len >= 140 && rd64(t->fadt + 132) ? rd64(t->fadt + 132) : rd32(t->fadt + 36));
	}
}

/* The first value of \_S5's package in the DSDT's AML (ZeroOp, OneOp or BytePrefix n), or -1. */
static int s5_slp_typ(const u8 *dsdt)
{
	u32 len = rd32(dsdt + 4);
	for (u32 i = HDR; i + 8 < len; i++) {
		if (memcmp(dsdt + i, "_S5_", 4) || dsdt[i + 4] != 0x12)
			continue;
		const u8 *p = dsdt + i + 5;
		p += 1 + (*p >> 6); /* PkgLength: its lead byte says how many follow */
		p++;                /* NumElements */
		if (*p == 0x0A)
			return p[1];
		return *p == 0x00 ? 0 : *p == 0x01 ? 1 : -1;
	}
	return -1;
}

struct madt_counts {
	u32 lapics, ioapics, irq0_to_gsi2, lint1_nmi;
	u32 ioapic_addr;
};

static struct madt_counts read_madt(const u8 *madt)
{
	struct madt_counts c = { 0 };
	u32 len = rd32(madt + 4);
	for (u32 at = HDR + 8; at + 2 <= len && madt[at + 1]; at += madt[at + 1]) {
		const u8 *e = madt + at;
		if (e[0] == MADT_LAPIC && (rd32(e + 4) & 1))
			c.lapics++;
		else if (e[0] == MADT_IOAPIC) {
			c.ioapics++;
			c.ioapic_addr = rd32(e + 4);
		} else if (e[0] == MADT_OVERRIDE && e[3] == 0 && rd32(e + 4) == 2)
			c.irq0_to_gsi2++;
		else if (e[0] == MADT_LAPIC_NMI && e[5] == 1)
			c.lint1_nmi++;
	}
	return c;
}

/* The PM timer and the TSC at its middle: the tightest of 8 reads (the vCPU may be away in between). */
static u32 pm_sample(u16 port, u64 *tsc)
{
	u64 best = ~0ull;
	u32 v = 0;
	for (int i = 0; i < 8; i++) {
		u64 t0 = rdtsc();
		u32 pm = inl(port) & 0xffffff;
		u64 t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0, v = pm;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
	return v;
}

/* PM timer ticks against TSC ticks over at least 100 ms, with the hypervisor's TSC kHz. */
static void pm_timer_rate(u16 port)
{
	struct cpuid_regs hv = cpuid(HV_CPUID_LEAF, 0);
	if (hv.eax < HV_CPUID_TIMING_LEAF || memcmp(&hv.ebx, HV_CPUID_SIGNATURE, 4)) {
		skip("no timing leaf (not this hypervisor)", "PM timer at 3.579545 MHz against the TSC");
		return;
	}
	u64 tsc_khz = cpuid(HV_CPUID_TIMING_LEAF, 0).eax, t0 = 0, t1 = 0;
	u32 last = pm_sample(port, &t0);
	u64 ticks = 0;
	while (ticks < 357955) { /* its 24 bits wrap every 4.7 s: followed */
		u32 now = pm_sample(port, &t1);
		ticks += (now - last) & 0xffffff;
		last = now;
	}
	u64 hz = ticks * tsc_khz * 1000 / (t1 - t0);
	ok(hz > 3579545 * 98 / 100 && hz < 3579545 * 102 / 100, "PM timer runs at %lu Hz (3579545 within 2%%)",
	   (unsigned long)hz);
}

/* About a second of PM timer: an emulator may act on the power-off a little later. */
static void wait_a_second(u16 pm_timer)
{
	u32 ticks = 0, last = inl(pm_timer) & 0xffffff;
	while (ticks < 3579545) {
		u32 now = inl(pm_timer) & 0xffffff;
		ticks += (now - last) & 0xffffff;
		last = now;
	}
}

static void power_off(const u8 *fadt, int s5)
{
	char end[8] = "s5";
	cmdline_arg("end", end, sizeof(end));
	serial_flush();
	if (!strncmp(end, "reset", 6)) {
		u64 port = rd64(fadt + 116 + 4);
		outb((u16)port, fadt[128]);
	} else {
		outw((u16)rd32(fadt + 64), (u16)((s5 << 10) | SLP_EN));
	}
	wait_a_second((u16)rd32(fadt + 76));
	print("# still running after end=%s\n", end);
	guest_exit(2);
}

void test_main(void)
{
	plan(13);
	const u8 *rsdp = find_rsdp();
	if (!ok(rsdp != NULL, "an RSDP with a good checksum in 0xE0000-0xFFFFF"))
		bail_out("no RSDP");
	bool xsdt = rsdp[15] >= 2 && rd64(rsdp + 24);
	ok(!xsdt || sum_ok(rsdp, rd32(rsdp + 20)), "the RSDP's extended checksum (revision %u)", rsdp[15]);

	struct tables t = { 0 };
	walk_root((const u8 *)(unsigned long)(xsdt ? rd64(rsdp + 24) : rd32(rsdp + 16)), xsdt, &t);
	ok(t.all_sums_ok && t.count >= 2, "the %s and its %u tables have good checksums", xsdt ? "XSDT" : "RSDT",
	   t.count);
	if (!ok(t.fadt && t.madt, "a FADT and a MADT are listed"))
		bail_out("no FADT or MADT");
	ok(t.fadt[46] == 9 && rd32(t.fadt + 56) && rd32(t.fadt + 64) && rd32(t.fadt + 76) && t.fadt[91] == 4,
	   "FADT: SCI on IRQ 9, PM1a event/control and PM timer blocks (0x%x, 0x%x, 0x%x)", rd32(t.fadt + 56),
	   rd32(t.fadt + 64), rd32(t.fadt + 76));
	ok(!memcmp(t.facs, "FACS", 4) && !((unsigned long)t.facs & 63), "the FACS, 64-byte aligned");
	int s5 = s5_slp_typ(t.dsdt);
	ok(!memcmp(t.dsdt, "DSDT", 4) && sum_ok(t.dsdt, rd32(t.dsdt + 4)) && s5 >= 0,
	   "the DSDT checksums and defines \\_S5 (SLP_TYP %d)", s5);

	struct madt_counts m = read_madt(t.madt);
	u32 cpus = smp_cpu_count();
	ok(m.lapics == cpus, "MADT: %u local APICs for %u vCPUs", m.lapics, cpus);
	ok(rd32(t.madt + 36) == 0xFEE00000u, "MADT: local APIC at 0xFEE00000");
	ok(m.ioapics == 1 && m.ioapic_addr == 0xFEC00000u, "MADT: one IOAPIC at 0xFEC00000");
	ok(m.irq0_to_gsi2 == 1, "MADT: ISA IRQ 0 overridden to GSI 2");
	ok(m.lint1_nmi >= 1, "MADT: LINT1 is the NMI");
	pm_timer_rate((u16)rd32(t.fadt + 76));
	if (tap_status())
		tap_finish();
	power_off(t.fadt, s5);
}
