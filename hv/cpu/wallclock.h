/*
 * The date and time: the host's CMOS clock read once (the first call), then
 * advanced with the TSC (hv/cpu/time.h). Guests' RTCs start from it. Also
 * the calendar arithmetic they share (portable, unit-tested).
 */
#ifndef HV_WALLCLOCK_H
#define HV_WALLCLOCK_H

#include "types.h"

struct civil_time {
	u32 year;             /* e.g. 2026 */
	u8 month, day;        /* 1-12, 1-31 */
	u8 hour, min, sec;
	u8 weekday;           /* 1 = Sunday .. 7, as the RTC counts */
};

/* Seconds since 1970-01-01 00:00:00 UTC, now. */
u64 wallclock_now(void);

u64 civil_to_epoch(const struct civil_time *t);
void epoch_to_civil(u64 epoch, struct civil_time *t);

#endif
