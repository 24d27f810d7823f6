/*
 * The local APIC for 64-bit guests (Intel SDM vol. 3, ch. 11): registers
 * by their xAPIC offset, reached through the MMIO page at LAPIC_BASE or,
 * once apic_enter_x2apic() succeeded, through the x2APIC MSRs.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "types.h"
#include "smp.h"

#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_PPR 0x0a0
#define APIC_EOI 0x0b0
#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0
#define APIC_SPIV 0x0f0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0

#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)

#define ICR_FIXED 0x000u
#define ICR_LOWEST 0x100u
#define ICR_NMI 0x400u
#define ICR_LOGICAL (1u << 11)
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)

#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

extern bool apic_x2; /* the accessors use the x2APIC MSRs */

u32 apic_read(u32 offset);
void apic_write(u32 offset, u32 value);
/* An IPI: `low` is the ICR's low word, dest the APIC ID (xAPIC: 8 bits). Waits until sent. */
void apic_send_ipi(u32 dest, u32 low);
/* Software-enables this vCPU's APIC with a spurious vector; TPR 0; LINT0 and the 8259 PIC masked. */
void apic_enable(u8 spurious_vector);
void apic_eoi(void);
/* This vCPU's APIC ID (from the register, in the current mode). */
u32 apic_id(void);
/* Switches IA32_APIC_BASE to x2APIC mode; false (nothing changed) without CPUID.1:ECX[21]. */
bool apic_enter_x2apic(void);
/* Back to xAPIC: through disabled, as the SDM requires (this resets the APIC). */
void apic_enter_xapic(void);
/* The 256-bit ISR/TMR/IRR register at `base` has bit `vector` set. */
bool apic_bit(u32 base, u8 vector);

#endif
