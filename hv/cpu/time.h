/*
 * Time in the hypervisor: the TSC, calibrated once at boot against PIT
 * channel 2 (see time.c for why the PIT). Every CPU reads the same TSC
 * (QEMU and Bochs keep them in step; bare metal needs an invariant TSC).
 */
#ifndef HV_TIME_H
#define HV_TIME_H

#include "types.h"

#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_USEC 1000ull

/* Measures the TSC frequency; panics with the numbers when they make no sense. */
void time_init(void);

u64 time_tsc_hz(void);
/* Nanoseconds since an arbitrary point at boot; 0 before time_init(). */
u64 time_now_ns(void);
/* Busy-waits (interrupts untouched). */
void time_delay_ns(u64 ns);

/* The earlier of two deadlines (time_now_ns clock), 0 meaning none. */
static inline u64 time_earlier(u64 a, u64 b)
{
	return a && b ? MIN(a, b) : a | b;
}

#endif
