/*
 * The 8254 PIT as kernels use it (GUEST-PLATFORM.md): channel 2 gated
 * through port 0x61 in mode 0 to calibrate the TSC (checked within 2 % of
 * the hypervisor's timing leaf), the counter latch and read-back commands,
 * mode 2 on channel 0, mode 3's square wave on OUT2, the gate pausing mode
 * 0, and port 0x61's refresh toggle.
 */
#include "guest.h"

#define CH0 0x40
#define CH2 0x42
#define CMD 0x43
#define PORT_B 0x61
#define OUT2 0x20
#define PIT_HZ_GUEST 1193182ull

static void load_ch2(u8 command, u16 count)
{
	outb(CMD, command);
	outb(CH2, count & 0xff);
	outb(CH2, count >> 8);
}

static u16 read_ch(u16 port)
{
	u16 lo = inb(port);
	return lo | inb(port) << 8;
}

/* Channel 2's count latched with its status (read-back), the TSC at its middle; the tightest of 8 tries. */
static u16 sample(u64 *tsc, bool *out)
{
	u64 best = ~0ull;
	u16 count = 0;
	for (int i = 0; i < 8; i++) {
		u64 t0 = rdtsc();
		outb(CMD, 0xc8); /* read-back: count and status of channel 2 */
		u8 status = inb(CH2);
		u16 c = read_ch(CH2);
		u64 t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			count = c;
			*out = status & 0x80;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
	return count;
}

/*
 * Channel 2 in mode 0 from 65535 (gate on, speaker off, as Linux does): TSC
 * against PIT counts over at least 30000 ticks (25 ms). Counts and TSC both
 * follow real time, so the vCPU being away does not matter, except when the
 * counter passed 0 meanwhile: the status latched with the count says so
 * (OUT high), and the try is taken again.
 */
static void calibrate(void)
{
	u64 tsc_a = 0, tsc_b = 0;
	u16 a = 0, b = 0;
	bool measured = false;
	for (int attempt = 0; attempt < 20 && !measured; attempt++) {
		bool out_a, out_b;
		outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
		load_ch2(0xb0, 0xffff);
		a = sample(&tsc_a, &out_a);
		do
			b = sample(&tsc_b, &out_b);
		while (!out_b && a - b < 30000);
		measured = !out_a && !out_b;
	}
	u64 spins = 0;
	while (!(inb(PORT_B) & OUT2) && ++spins < 100000000)
		;
	ok(measured && spins < 100000000, "mode 0 on channel 2: OUT low until terminal count, then high (port 0x61 bit 5)");
	u64 khz = (tsc_b - tsc_a) * (PIT_HZ_GUEST / 1000) / (u64)(a - b);
	diag("TSC measured against the PIT: %lu kHz", (unsigned long)khz);
	struct cpuid_regs hv = cpuid(HV_CPUID_LEAF, 0);
	if (hv.eax < HV_CPUID_TIMING_LEAF || memcmp(&hv.ebx, HV_CPUID_SIGNATURE, 4)) {
		skip("no timing leaf (not this hypervisor)", "TSC from the PIT within 2%% of leaf 0x40000010");
		return;
	}
	u64 leaf = cpuid(HV_CPUID_TIMING_LEAF, 0).eax;
	ok(khz * 100 >= leaf * 98 && khz * 100 <= leaf * 102, "TSC from the PIT (%lu kHz) within 2%% of leaf 0x40000010 (%lu kHz)",
	   (unsigned long)khz, (unsigned long)leaf);
}

static void latch_and_read_back(void)
{
	outb(CMD, 0x30); /* channel 0, LSB then MSB, mode 0: counts down from 65535 */
	outb(CH0, 0xff);
	outb(CH0, 0xff);
	outb(CMD, 0x00); /* latch channel 0 */
	for (volatile int i = 0; i < 20000; i++)
		;
	outb(CMD, 0x00); /* ignored: the first latch holds until read */
	u16 latched = read_ch(CH0), live = read_ch(CH0);
	ok(latched > live, "counter latch: the count latched first holds until read (%u, live %u)", latched, live);

	outb(CMD, 0x34); /* channel 0, LSB then MSB, mode 2 */
	outb(CH0, 0x00);
	outb(CH0, 0x10); /* 4096 */
	outb(CMD, 0xe2); /* read-back: status and count of channel 0 */
	u8 status = inb(CH0);
	u16 count = read_ch(CH0);
	ok((status & 0x3f) == 0x34 && count >= 1 && count <= 4096,
	   "read-back: status 0x%x says LSB/MSB mode 2, then the count %u", status, count);
	u16 bad = 0;
	for (int i = 0; i < 200; i++) {
		outb(CMD, 0x00); /* latched: two live byte reads may straddle a reload */
		u16 c = read_ch(CH0);
		if (c < 1 || c > 4096)
			bad = c;
	}
	ok(!bad, "mode 2: every latched count is within 1..4096 (%u)", bad);
}

static void gate_and_square_wave(void)
{
	outb(PORT_B, inb(PORT_B) & ~0x03); /* gate off */
	load_ch2(0xb0, 0x8000);
	u16 a = read_ch(CH2);
	for (volatile int i = 0; i < 50000; i++)
		;
	u16 b = read_ch(CH2);
	/* 8254 data sheet; QEMU's PIT ignores the gate in mode 0, hence hv: */
	ok(a == b, "hv: mode 0 with the gate low does not count (%u, %u)", a, b);

	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
	load_ch2(0xb6, 200); /* mode 3, about 6 kHz */
	bool high = false, low = false;
	for (int i = 0; i < 100000 && !(high && low); i++) {
		if (inb(PORT_B) & OUT2)
			high = true;
		else
			low = true;
	}
	ok(high && low, "mode 3 on channel 2: OUT2 is a square wave (seen high and low)");
	outb(PORT_B, inb(PORT_B) & ~0x03);
}

static void refresh_toggles(void)
{
	u8 first = inb(PORT_B) & 0x10;
	bool toggled = false;
	for (int i = 0; i < 100000 && !toggled; i++)
		toggled = (inb(PORT_B) & 0x10) != first;
	ok(toggled, "port 0x61 bit 4 (refresh) toggles");
}

void test_main(void)
{
	plan(8);
	calibrate();
	latch_and_read_back();
	gate_and_square_wave();
	refresh_toggles();
}
