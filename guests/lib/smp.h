/*
 * Several vCPUs in one guest (64-bit guests only). The BSP starts the others
 * with INIT-SIPI through the local APIC (GUEST-PLATFORM.md); each runs
 * fn(index) on its own stack, index 1..n-1 (the BSP is 0). Shared data
 * between vCPUs must be accessed with atomics or volatile.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "types.h"

#define SMP_MAX_CPUS 8
#define LAPIC_BASE 0xFEE00000ull

/* The vCPUs the platform reports (fw_cfg key 0x05), at least 1. */
u32 smp_cpu_count(void);
/* Starts every other vCPU in fn(index); returns once `count - 1` of them
 * have entered fn, false (with a diagnostic) if they did not in time. May be
 * called again once the others have halted: INIT restarts them. */
bool smp_start_aps(u32 count, void (*fn)(u32 index));

#endif
