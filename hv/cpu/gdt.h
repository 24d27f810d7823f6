/* The hypervisor's own GDT and TSS, one pair per CPU. The TSS exists for its
 * interrupt stack table: #DF, NMI and #MC run on known-good stacks even when
 * the faulting stack is exhausted. */
#ifndef HV_GDT_H
#define HV_GDT_H

#include "types.h"

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18 /* a 16-byte system descriptor: slots 3 and 4 */

/* IST slots (1-based, as the IDT gate encodes them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

#define GDT_MAX_CPUS 64
#define IST_STACK_SIZE (16 * 1024)

/* Builds and loads CPU `cpu`'s GDT and TSS (IST stacks from the page
 * allocator) and reloads every segment register. Panics when out of memory. */
void gdt_init_cpu(u32 cpu);

#endif
