/* The CMOS RTC (hv/devices/rtc.h): time registers derived from the clock on every read. */
#include "hv/devices/rtc.h"
#include "hv/devices/isa_irq.h"
#include "hv/vm/vm.h"
#include "hv/cpu/time.h"
#include "hv/cpu/wallclock.h"

#define REG_SEC 0x00
#define REG_SEC_ALARM 0x01
#define REG_MIN 0x02
#define REG_MIN_ALARM 0x03
#define REG_HOUR 0x04
#define REG_HOUR_ALARM 0x05
#define REG_WEEKDAY 0x06
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32
#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80
#define UIP_NS 244000ull
#define ALARM_ANY 0xc0 /* an alarm byte >= 0xC0 matches every value */

static u64 guest_epoch(const struct vm *vm)
{
	return (u64)((s64)wallclock_now() + vm->rtc.offset);
}

static u8 to_guest(const struct rtc *r, u8 v)
{
	return (r->ram[REG_B] & B_BINARY) ? v : (u8)((v / 10) << 4 | v % 10);
}

static u8 from_guest(const struct rtc *r, u8 v)
{
	return (r->ram[REG_B] & B_BINARY) ? v : (u8)((v >> 4) * 10 + (v & 15));
}

/* The hour as the guest reads it: 12-hour mode puts 1-12 with bit 7 for PM. */
static u8 hour_to_guest(const struct rtc *r, u8 h)
{
	if (r->ram[REG_B] & B_24H)
		return to_guest(r, h);
	return (u8)(to_guest(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static u8 hour_from_guest(const struct rtc *r, u8 v)
{
	if (r->ram[REG_B] & B_24H)
		return from_guest(r, v);
	return (u8)(from_guest(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0));
}

/* The memory-size bytes and the vCPU count, where QEMU's firmware interface puts them. */
static void fill_memory_sizes(struct vm *vm)
{
	u8 *ram = vm->rtc.ram;
	u64 below_4g = MIN(vm->ram_bytes, (u64)HC_DEVICE_HOLE_START), above_4g = vm->ram_bytes - below_4g;
	u64 ext_kb = MIN(below_4g > (1ull << 20) ? (below_4g >> 10) - 1024 : 0, 0xffffull);
	u64 above_16m = MIN(below_4g > (16ull << 20) ? (below_4g - (16ull << 20)) >> 16 : 0, 0xffffull);
	u64 high = above_4g >> 16;

	ram[0x15] = 640 & 0xff, ram[0x16] = 640 >> 8;
	ram[0x17] = ram[0x30] = (u8)ext_kb, ram[0x18] = ram[0x31] = (u8)(ext_kb >> 8);
	ram[0x34] = (u8)above_16m, ram[0x35] = (u8)(above_16m >> 8);
	ram[0x5b] = (u8)high, ram[0x5c] = (u8)(high >> 8), ram[0x5d] = (u8)(high >> 16);
	ram[0x5f] = (u8)(vm->nvcpus - 1);
}

void rtc_reset(struct vm *vm)
{
	struct rtc *r = &vm->rtc;
	*r = (struct rtc){ 0 };
	r->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->ram[REG_B] = B_24H;
	r->ram[REG_D] = D_VRT;
	r->flags_checked_ns = time_now_ns();
	fill_memory_sizes(vm);
	wallclock_now(); /* reads the host's clock on the first VM (VMs are created one at a time) */
}

/* The periodic interrupt's period from A's rate select (0: off; 1 and 2 mean 7 and 8). */
static u64 periodic_ns(const struct rtc *r)
{
	u8 rate = r->ram[REG_A] & 15;
	if (!rate)
		return 0;
	if (rate < 3)
		rate += 7;
	return NSEC_PER_SEC * (1ull << (rate - 1)) / 32768;
}

static bool alarm_matches(const struct rtc *r, const struct civil_time *t)
{
	u8 s = r->ram[REG_SEC_ALARM], m = r->ram[REG_MIN_ALARM], h = r->ram[REG_HOUR_ALARM];
	return (s >= ALARM_ANY || from_guest(r, s) == t->sec) && (m >= ALARM_ANY || from_guest(r, m) == t->min) &&
	       (h >= ALARM_ANY || hour_from_guest(r, h) == t->hour);
}

/* C's flags as of now: an update ended, a period passed, the alarm's second came. IRQ 8 follows IRQF. */
static void update_flags(struct vm *vm, u64 now)
{
	struct rtc *r = &vm->rtc;
	u64 last = r->flags_checked_ns, period = periodic_ns(r);
	u8 c = r->ram[REG_C];

	if (!(r->ram[REG_B] & B_SET) && now / NSEC_PER_SEC != last / NSEC_PER_SEC) {
		struct civil_time t;
		c |= C_UF;
		epoch_to_civil(guest_epoch(vm), &t);
		if (alarm_matches(r, &t))
			c |= C_AF;
	}
	if (period && now / period != last / period)
		c |= C_PF;
	if (c & r->ram[REG_B] & (C_PF | C_AF | C_UF)) /* enables sit at the same bits in B */
		c |= C_IRQF;
	r->ram[REG_C] = c;
	r->flags_checked_ns = now;
	isa_irq_set(vm, RTC_IRQ, c & C_IRQF);
}

void rtc_poll(struct vm *vm, u64 now_ns)
{
	update_flags(vm, now_ns);
}

u64 rtc_next_ns(const struct vm *vm)
{
	const struct rtc *r = &vm->rtc;
	u8 enabled = r->ram[REG_B] & (C_PF | C_AF | C_UF);
	u64 last = r->flags_checked_ns, period = periodic_ns(r), next = 0;

	if (!enabled || (r->ram[REG_C] & C_IRQF))
		return 0; /* nothing enabled, or IRQ 8 is already up until C is read */
	if (enabled & (C_AF | C_UF))
		next = (last / NSEC_PER_SEC + 1) * NSEC_PER_SEC;
	if ((enabled & C_PF) && period) {
		u64 p = (last / period + 1) * period;
		next = next ? MIN(next, p) : p;
	}
	return next;
}

static u8 read_time(struct vm *vm, u8 index)
{
	const struct rtc *r = &vm->rtc;
	struct civil_time t;
	epoch_to_civil(guest_epoch(vm), &t);
	switch (index) {
	case REG_SEC: return to_guest(r, t.sec);
	case REG_MIN: return to_guest(r, t.min);
	case REG_HOUR: return hour_to_guest(r, t.hour);
	case REG_WEEKDAY: return to_guest(r, t.weekday);
	case REG_DAY: return to_guest(r, t.day);
	case REG_MONTH: return to_guest(r, t.month);
	case REG_YEAR: return to_guest(r, (u8)(t.year % 100));
	default: return to_guest(r, (u8)(t.year / 100)); /* REG_CENTURY */
	}
}

static bool is_time(u8 index)
{
	return (index <= REG_YEAR && index != REG_SEC_ALARM && index != REG_MIN_ALARM &&
		index != REG_HOUR_ALARM) || index == REG_CENTURY;
}

/* A write to a time register: the guest's clock moves so that the register reads the value. */
static void write_time(struct vm *vm, u8 index, u8 v)
{
	struct rtc *r = &vm->rtc;
	struct civil_time t;
	u64 now = guest_epoch(vm);
	epoch_to_civil(now, &t);
	switch (index) {
	case REG_SEC: t.sec = from_guest(r, v); break;
	case REG_MIN: t.min = from_guest(r, v); break;
	case REG_HOUR: t.hour = hour_from_guest(r, v); break;
	case REG_WEEKDAY: return; /* derived from the date */
	case REG_DAY: t.day = from_guest(r, v); break;
	case REG_MONTH: t.month = from_guest(r, v); break;
	case REG_YEAR: t.year = t.year / 100 * 100 + from_guest(r, v); break;
	default: t.year = from_guest(r, v) * 100u + t.year % 100; break;
	}
	if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.min > 59 || t.sec > 59 ||
	    t.year < 1970)
		return; /* a value no clock can hold: ignored */
	r->offset += (s64)civil_to_epoch(&t) - (s64)now;
}

u32 rtc_read(struct vm *vm, u16 port, u8 size)
{
	struct rtc *r = &vm->rtc;
	u64 now = time_now_ns();
	if (port == RTC_PORT_INDEX)
		return 0xff; /* write-only on a PC */
	u8 i = r->index;
	if (is_time(i))
		return read_time(vm, i);
	if (i == REG_A) {
		bool uip = !(r->ram[REG_B] & B_SET) && now % NSEC_PER_SEC >= NSEC_PER_SEC - UIP_NS;
		return (r->ram[REG_A] & 0x7f) | (uip ? A_UIP : 0);
	}
	if (i == REG_C) {
		update_flags(vm, now);
		u8 c = r->ram[REG_C];
		r->ram[REG_C] = 0; /* reading C clears it, and IRQ 8 with it */
		isa_irq_set(vm, RTC_IRQ, false);
		return c;
	}
	return r->ram[i];
}

void rtc_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	struct rtc *r = &vm->rtc;
	u8 v = (u8)value;
	if (port == RTC_PORT_INDEX) {
		r->index = v & 0x7f;
		r->nmi_disabled = v & 0x80;
		return;
	}
	if (is_time(r->index))
		write_time(vm, r->index, v);
	else if (r->index == REG_A)
		r->ram[REG_A] = v & 0x7f; /* UIP is read-only */
	else if (r->index == REG_B)
		r->ram[REG_B] = (v & B_SET) ? (u8)(v & ~B_UIE) : v; /* SET stops updates and clears UIE */
	else if (r->index != REG_C && r->index != REG_D)
		r->ram[r->index] = v; /* alarms and CMOS RAM; C and D are read-only */
}
