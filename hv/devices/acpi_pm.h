/*
 * The ACPI power-management ports the FADT names (hv/devices/acpi_tables.h),
 * at the addresses of QEMU's q35 machine:
 *   0x600-0x603  PM1a event block: status (write 1 to clear) and enable
 *   0x604-0x605  PM1a control: SCI_EN reads 1 (no SMI_CMD: always in ACPI
 *                mode); SLP_EN with SLP_TYP = \_S5 powers the VM off (it
 *                ends as exit:0, as QEMU does); another sleep state stops
 *                the VM naming it (not provided)
 *   0x608-0x60B  PM timer: 24 bits at 3.579545 MHz, read-only
 *   0xCF9        reset control (also the FADT's reset register, value 6):
 *                a write with bit 2 (RST_CPU) ends the VM as `reset`
 */
#ifndef HV_ACPI_PM_H
#define HV_ACPI_PM_H

#include "types.h"

struct vm;

#define ACPI_PM1A_EVT 0x600
#define ACPI_PM1A_CNT 0x604
#define ACPI_PM_TMR 0x608
#define ACPI_PM_TMR_HZ 3579545ull
#define ACPI_RESET_PORT 0xcf9
#define ACPI_RESET_VALUE 0x06

struct acpi_pm {
	u16 pm1_sts, pm1_en, pm1_cnt;
	u8 reset_control;  /* 0xCF9 as last written (bits 1 and 3) */
};

void acpi_pm_reset(struct vm *vm);
u32 acpi_pm_read(struct vm *vm, u16 port, u8 size);
void acpi_pm_write(struct vm *vm, u16 port, u8 size, u32 value);
u32 acpi_reset_read(struct vm *vm, u16 port, u8 size);
void acpi_reset_write(struct vm *vm, u16 port, u8 size, u32 value);
/* The PM timer's count at `ns` since boot (24 bits); whole seconds apart so
 * that no product overflows (the freestanding build has no 128-bit division). */
static inline u32 acpi_pm_timer_at(u64 ns)
{
	u64 s = ns / 1000000000ull, rest = ns % 1000000000ull;
	return (u32)(s * ACPI_PM_TMR_HZ + rest * ACPI_PM_TMR_HZ / 1000000000ull) & 0xffffff;
}

#endif
