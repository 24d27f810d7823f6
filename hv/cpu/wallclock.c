/* The host's date and time (hv/cpu/wallclock.h): its CMOS clock once, then the TSC. */
#include "hv/cpu/wallclock.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/time.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80 /* keep NMIs masked while we hold the index */
#define STATUS_A_UIP 0x80
#define STATUS_B_BINARY 0x04
#define STATUS_B_24H 0x02

static u8 cmos(u8 index)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | index);
	return inb(CMOS_DATA);
}

static u8 bin(u8 v, bool bcd)
{
	return bcd ? (u8)((v >> 4) * 10 + (v & 15)) : v;
}

/* One reading, taken when no update is in progress (the registers are consistent then). */
static u64 read_host_rtc(void)
{
	struct civil_time t;
	for (int i = 0; i < 1000000 && (cmos(0x0a) & STATUS_A_UIP); i++)
		cpu_relax();
	u8 b = cmos(0x0b), hour = cmos(0x04);
	bool bcd = !(b & STATUS_B_BINARY), pm = !(b & STATUS_B_24H) && (hour & 0x80);
	t.sec = bin(cmos(0x00), bcd);
	t.min = bin(cmos(0x02), bcd);
	t.hour = (u8)(bin(hour & 0x7f, bcd) % 12 + (pm ? 12 : 0));
	if (b & STATUS_B_24H)
		t.hour = bin(hour, bcd);
	t.day = bin(cmos(0x07), bcd);
	t.month = bin(cmos(0x08), bcd);
	t.year = 2000u + bin(cmos(0x09), bcd); /* the century byte is not standard; assume 20xx */
	outb(CMOS_INDEX, 0x0d); /* leave the index with NMIs enabled, as firmware does */
	if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31)
		return 0; /* no usable clock: 1970 */
	return civil_to_epoch(&t);
}

u64 wallclock_now(void)
{
	static u64 boot_epoch, boot_ns;
	static bool read;

	if (!__atomic_load_n(&read, __ATOMIC_ACQUIRE)) {
		/* First called while the runner creates a VM, one at a time (hv/devices/rtc.c). */
		boot_ns = time_now_ns();
		boot_epoch = read_host_rtc();
		__atomic_store_n(&read, true, __ATOMIC_RELEASE);
	}
	return boot_epoch + (time_now_ns() - boot_ns) / NSEC_PER_SEC;
}
