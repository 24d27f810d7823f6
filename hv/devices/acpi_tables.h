/*
 * The ACPI tables a VM finds, built per VM into guest memory by the loader
 * (GUEST-PLATFORM.md): the RSDP at ACPI_TABLES_BASE (in 0xE0000-0xFFFFF,
 * where an OS searches), an RSDT and an XSDT naming the FADT and the MADT,
 * the FADT (PM1a event/control blocks, PM timer and reset register of
 * hv/devices/acpi_pm.h, SCI on IRQ 9), its FACS and a DSDT whose AML
 * defines \_S5, and the MADT: one local APIC per vCPU, the IOAPIC, the
 * IRQ0 -> GSI 2 and SCI overrides, LINT1 as NMI. Every checksum is set.
 */
#ifndef HV_ACPI_TABLES_H
#define HV_ACPI_TABLES_H

#include "types.h"

#define ACPI_TABLES_BASE 0xe0000ul   /* the RSDP; the tables follow it */
#define ACPI_TABLES_SIZE 0x1000u     /* the buffer they are built in */
#define ACPI_IOAPIC_BASE 0xfec00000u
#define ACPI_LAPIC_BASE 0xfee00000u
#define ACPI_SCI_IRQ 9
#define ACPI_S5_SLP_TYP 5            /* \_S5's value, written to PM1a_CNT.SLP_TYP */

/* Builds the tables as they must appear at ACPI_TABLES_BASE into
 * buf[0..ACPI_TABLES_SIZE); returns the bytes used. */
u32 acpi_tables_build(u32 nvcpus, u8 *buf);

#endif
