/*
 * The MC146818 CMOS clock and RAM (ports 0x70/0x71) as QEMU shows it:
 * date and time from the host's clock (hv/cpu/wallclock.h), advancing;
 * status A (update in progress during the last 244 us of each second,
 * divider, periodic rate), B (SET, interrupt enables, binary or BCD, 12 or
 * 24 hours), C (interrupt flags, cleared by reading) and D (valid RAM and
 * time); the alarm; the century at 0x32; the memory-size bytes QEMU fills
 * in (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5B-0x5D) and the vCPU count less
 * one (0x5F). Bit 7 of the index port is the NMI disable, kept apart.
 * The flags of C are computed when read; IRQ 8 (hv/devices/isa_irq.h) takes
 * IRQF's level then. Timed interrupts wait for a per-VM timer.
 */
#ifndef HV_RTC_H
#define HV_RTC_H

#include "types.h"

struct vm;

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA 0x71
#define RTC_IRQ 8

struct rtc {
	u8 index;
	bool nmi_disabled;   /* bit 7 of the last index write */
	u8 ram[128];         /* registers 0x0A-0x0D and the CMOS bytes; time is derived */
	s64 offset;          /* guest time - host time, in seconds (set by the guest) */
	u64 flags_checked_ns;/* when C's flags were last brought up to date */
};

void rtc_reset(struct vm *vm);
/* Brings C's flags and IRQ 8 up to now (periodic, alarm, update-ended). */
void rtc_poll(struct vm *vm, u64 now_ns);
/* When an enabled RTC interrupt is next due (ns), 0 when none can come. */
u64 rtc_next_ns(const struct vm *vm);
u32 rtc_read(struct vm *vm, u16 port, u8 size);
void rtc_write(struct vm *vm, u16 port, u8 size, u32 value);

#endif
