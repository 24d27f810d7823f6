/*
 * SMP bring-up: calibrates time, finds the CPUs in the ACPI MADT, enables
 * the local APIC, starts every AP through the trampoline below 1 MiB
 * (INIT-SIPI-SIPI, one at a time), and starts the scheduler on all of them.
 * A CPU that does not come online is reported and left out.
 */
#ifndef HV_SMP_H
#define HV_SMP_H

#include "boot_info.h"

/* After the GDT, IDT and paging are up. On return the caller runs as thread
 * "main" on CPU 0, with interrupts and preemption on. */
void smp_init(const struct boot_info *bi);

/* Runs fn(arg) once on every online CPU (in a thread pinned there) and
 * returns when all have returned and their threads are freed: e.g. per-CPU
 * setup such as enabling the virtualization extensions. Thread context only. */
void smp_on_each_cpu(void (*fn)(void *), void *arg);

#endif
