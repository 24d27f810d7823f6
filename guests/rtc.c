/*
 * The CMOS RTC (ports 0x70/0x71) as QEMU shows it: status A-D, a plausible
 * date in BCD, seconds that tick, binary and 12-hour modes, setting the
 * hour under SET, the periodic and update-ended flags of C (cleared by
 * reading), the NMI-disable bit of the index port, and the memory-size
 * bytes for a 32 MiB VM (suite.cfg) and the vCPU count.
 */
#include "guest.h"

#define A 0x0a
#define B 0x0b
#define C 0x0c
#define D 0x0d
#define SPINS 200000000

static u8 cmos(u8 index)
{
	outb(0x70, index);
	return inb(0x71);
}

static void cmos_set(u8 index, u8 v)
{
	outb(0x70, index);
	outb(0x71, v);
}

static u8 bcd(u8 v) { return (u8)((v >> 4) * 10 + (v & 15)); }
static bool bcd_ok(u8 v, u8 max) { return (v & 15) < 10 && (v >> 4) < 10 && bcd(v) <= max; }

/* Waits for the seconds register to change; returns its new value (0xff: it never did). */
static u8 next_second(void)
{
	u8 s = cmos(0x00);
	for (u32 i = 0; i < SPINS; i++) {
		u8 t = cmos(0x00);
		if (t != s)
			return t;
	}
	return 0xff;
}

/* Spins until C has one of `flags`, for at most 3 ticks of the seconds register; C's value then (0: never). */
static u8 wait_flags(u8 flags)
{
	u8 sec = cmos(0x00);
	for (int changes = 0; changes < 3;) {
		u8 c = cmos(C), now = cmos(0x00);
		if (c & flags)
			return c;
		if (now != sec)
			changes++, sec = now;
	}
	return 0;
}

void test_main(void)
{
	plan(12);
	ok(cmos(D) == 0x80, "status D: valid RAM and time");
	ok((cmos(A) & 0x70) == 0x20, "status A: the 32.768 kHz time base (0x%x)", cmos(A));
	u8 b = cmos(B);
	u8 sec = cmos(0x00), min = cmos(0x02), hour = cmos(0x04), day = cmos(0x07), mon = cmos(0x08), yr = cmos(0x09);
	diag("date 20%02x-%02x-%02x %02x:%02x:%02x, status B 0x%x", yr, mon, day, hour, min, sec, b);
	ok((b & 0x06) == 0x02 && bcd_ok(sec, 59) && bcd_ok(min, 59) && bcd_ok(hour, 23) && bcd_ok(day, 31) &&
		   day && bcd_ok(mon, 12) && mon && bcd_ok(yr, 99) && bcd(yr) >= 24,
	   "a plausible date and time in BCD, 24-hour mode");
	u8 s1 = next_second(), s2 = next_second();
	ok(s1 != 0xff && s2 != 0xff && (bcd(s1) + 1) % 60 == bcd(s2), "the seconds tick (%02x, %02x)", s1, s2);

	cmos_set(B, b | 0x04);
	u8 bin_sec = cmos(0x00);
	ok(bin_sec < 60 && (bin_sec == bcd(s2) || bin_sec == (bcd(s2) + 1) % 60), "binary mode: seconds %u", bin_sec);
	cmos_set(B, (b | 0x04) & ~0x02);
	u8 h12 = cmos(0x04), h24 = bcd(cmos(0x04) & 0x7f);
	cmos_set(B, b | 0x04);
	h24 = cmos(0x04);
	ok((h12 & 0x7f) == (h24 % 12 ? h24 % 12 : 12) && !!(h12 & 0x80) == (h24 >= 12),
	   "12-hour mode: hour %u reads 0x%x", h24, h12);
	cmos_set(B, b | 0x84); /* SET: the clock stands while it is written */
	cmos_set(0x04, (u8)((h24 + 1) % 24));
	cmos_set(B, b | 0x04);
	u8 moved = cmos(0x04);
	cmos_set(B, b | 0x84);
	cmos_set(0x04, h24);
	cmos_set(B, b);
	ok(moved == (h24 + 1) % 24, "setting the hour under SET: %u reads back", moved);

	cmos(C);
	cmos_set(A, 0x26);
	cmos_set(B, b | 0x40); /* PIE, 1024 Hz */
	u8 c = wait_flags(0x40);
	ok((c & 0xc0) == 0xc0, "periodic flag and IRQF set with PIE (C 0x%x)", c);
	cmos_set(B, b);        /* PIE off: no new flag can come, so the read-clear shows */
	cmos_set(A, 0x20);     /* and no periodic rate */
	cmos(C);
	ok(cmos(C) == 0, "reading C clears it");
	cmos_set(B, b | 0x10); /* UIE */
	cmos(C);
	c = wait_flags(0x10);
	cmos_set(B, b);
	ok((c & 0x90) == 0x90, "update-ended flag and IRQF set with UIE (C 0x%x)", c);

	outb(0x70, 0x80 | D); /* NMI disabled: the index is still D */
	ok(inb(0x71) == 0x80, "bit 7 of port 0x70 is the NMI disable, not part of the index");
	outb(0x70, D);
	u32 ext = cmos(0x17) | cmos(0x18) << 8, above16 = cmos(0x34) | cmos(0x35) << 8;
	ok(ext == 31 * 1024 && above16 == 256 && cmos(0x5f) == smp_cpu_count() - 1,
	   "memory bytes: %u KiB above 1 MiB, %u x 64 KiB above 16 MiB; 0x5F = vCPUs - 1", ext, above16);
}
