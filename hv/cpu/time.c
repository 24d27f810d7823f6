/*
 * TSC calibration against PIT channel 2.
 *
 * Why the PIT: it exists on every PC we run on (QEMU q35, Bochs, bare metal
 * with legacy support) and needs no ACPI table, and channel 2 can be run
 * and polled through port 0x61 without interrupts. Under Bochs with
 * `clock: sync=none` the PIT and the TSC both advance with emulated
 * instructions, so the ratio is still consistent (the absolute numbers are
 * emulated MHz, which is exactly what the emulated APIC timer runs at).
 * The ACPI PM timer would work too, but needs the FADT and is missing on
 * some reduced-hardware machines.
 */
#include "hv/cpu/time.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/panic.h"

#define PIT_HZ 1193182ull
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_MODE0_LOHI 0xB0 /* channel 2, lobyte/hibyte, mode 0 (count down once), binary */
#define PORT_B 0x61             /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 20
#define CALIBRATE_TRIES 3
#define POLL_LIMIT 100000000u   /* a PIT that never fires must not hang the boot */
#define TSC_HZ_MIN 1000000ull   /* below 1 MHz, or above 100 GHz, the measurement is broken */
#define TSC_HZ_MAX 100000000000ull

static u64 tsc_hz;
static u64 tsc_at_init;
static u64 ns_per_tsc_q32; /* nanoseconds per TSC tick, 32.32 fixed point */

/* TSC ticks during `ms` milliseconds of PIT channel 2 counting down in mode 0; 0 if it never fired. */
static u64 tsc_ticks_in_pit_window(u32 ms)
{
	u32 count = (u32)(PIT_HZ * ms / 1000);
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
	outb(PIT_CH2_DATA, count & 0xFF);
	outb(PIT_CH2_DATA, (count >> 8) & 0xFF); /* counting starts now; OUT2 is low until 0 */
	u64 start = rdtsc();
	for (u32 i = 0; i < POLL_LIMIT; i++)
		if (inb(PORT_B) & PORT_B_OUT2)
			return rdtsc() - start;
	return 0;
}

void time_init(void)
{
	/* The smallest of a few windows: an emulator hiccup only ever makes one longer. */
	u64 best = 0;
	for (int i = 0; i < CALIBRATE_TRIES; i++) {
		u64 t = tsc_ticks_in_pit_window(CALIBRATE_MS);
		if (t && (!best || t < best))
			best = t;
	}
	if (!best)
		panic("timer calibration: PIT channel 2 never counted down (port 0x61 bit 5 stayed low)");
	tsc_hz = best * 1000 / CALIBRATE_MS;
	if (tsc_hz < TSC_HZ_MIN || tsc_hz > TSC_HZ_MAX)
		panic("timer calibration: TSC runs at %lu Hz against the PIT, outside 1 MHz-100 GHz",
		      (unsigned long)tsc_hz);
	ns_per_tsc_q32 = (NSEC_PER_SEC << 32) / tsc_hz;
	tsc_at_init = rdtsc();
	kprintf("hv: time: TSC %lu.%03lu MHz (calibrated against PIT channel 2)\n",
		(unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz / 1000 % 1000));
}

u64 time_tsc_hz(void)
{
	return tsc_hz;
}

u64 time_now_ns(void)
{
	if (!tsc_hz)
		return 0;
	/* A 64x64 multiply into 128 bits needs no library call (unlike a 128-bit divide). */
	return (u64)(((unsigned __int128)(rdtsc() - tsc_at_init) * ns_per_tsc_q32) >> 32);
}

void time_delay_ns(u64 ns)
{
	u64 end = time_now_ns() + ns;
	while (time_now_ns() < end)
		cpu_relax();
}
