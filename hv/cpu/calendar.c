/* Calendar arithmetic (hv/cpu/wallclock.h): days from 1970 in the proleptic Gregorian calendar. */
#include "hv/cpu/wallclock.h"

#define SECS_PER_DAY 86400ull

static bool leap(u32 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static u32 days_in_month(u32 y, u32 m)
{
	static const u8 days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return days[m - 1] + (m == 2 && leap(y));
}

u64 civil_to_epoch(const struct civil_time *t)
{
	u64 days = 0;
	for (u32 y = 1970; y < t->year; y++)
		days += leap(y) ? 366 : 365;
	for (u32 m = 1; m < t->month; m++)
		days += days_in_month(t->year, m);
	days += t->day - 1;
	return days * SECS_PER_DAY + t->hour * 3600ull + t->min * 60ull + t->sec;
}

void epoch_to_civil(u64 epoch, struct civil_time *t)
{
	u64 days = epoch / SECS_PER_DAY, rest = epoch % SECS_PER_DAY;
	t->weekday = (u8)((days + 4) % 7 + 1); /* 1970-01-01 was a Thursday (5) */
	t->hour = (u8)(rest / 3600);
	t->min = (u8)(rest / 60 % 60);
	t->sec = (u8)(rest % 60);
	t->year = 1970;
	while (days >= (leap(t->year) ? 366u : 365u))
		days -= leap(t->year++) ? 366 : 365;
	t->month = 1;
	while (days >= days_in_month(t->year, t->month))
		days -= days_in_month(t->year, t->month++);
	t->day = (u8)(days + 1);
}
