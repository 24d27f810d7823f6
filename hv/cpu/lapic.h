/*
 * The local APIC of the current CPU, in x2APIC mode (MSRs) when the CPU has
 * it and xAPIC mode (MMIO) otherwise; every CPU uses the mode the BSP chose.
 * Interrupt vectors the hypervisor owns are listed here.
 */
#ifndef HV_LAPIC_H
#define HV_LAPIC_H

#include "types.h"

#define VECTOR_TIMER 0x20     /* APIC timer: scheduler tick */
#define VECTOR_RESCHEDULE 0xF0 /* IPI: "look at your run queue" */
#define VECTOR_KICK 0xF1       /* IPI: leave guest mode (hv/cpu/kick.h) */
#define VECTOR_SPURIOUS 0xFF

/* BSP: picks the mode, enables the APIC, masks the legacy PIC. mmio_base from the MADT. */
void lapic_init_bsp(u64 mmio_base);
/* Each AP, after lapic_init_bsp: same mode, enabled, LINT0 masked. */
void lapic_init_ap(void);
bool lapic_x2apic_mode(void);

u32 lapic_id(void);
void lapic_eoi(void);

/* Fixed-delivery IPI with `vector` to the CPU with APIC id dest. */
void lapic_send_ipi(u32 dest, u8 vector);
/* INIT, then a start-up IPI to real-mode address page << 12. dest may be
 * LAPIC_ALL_BUT_SELF (the destination shorthand). */
#define LAPIC_ALL_BUT_SELF 0xFFFFFFFFu
void lapic_send_init(u32 dest);
void lapic_send_startup(u32 dest, u32 page);

/* Measures the APIC timer against the (calibrated) TSC; BSP, after time_init(). */
void lapic_timer_calibrate(void);
/* One interrupt on VECTOR_TIMER in `ns` nanoseconds (at least one timer count); replaces what was armed. */
void lapic_timer_oneshot_ns(u64 ns);
/* Starts this CPU's periodic timer at `hz` interrupts per second on VECTOR_TIMER. */
void lapic_timer_start_periodic(u32 hz);

#endif
