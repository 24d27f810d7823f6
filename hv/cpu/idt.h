/* The interrupt descriptor table, shared by every CPU. */
#ifndef HV_IDT_H
#define HV_IDT_H

#include "types.h"

#define IDT_VECTORS 256
#define EXCEPTION_VECTORS 32

/* Fills vectors 0-31 with the exception stubs (trap.asm) and loads the IDT. */
void idt_init(void);
/* Loads the already-built IDT on another CPU. */
void idt_load(void);
/* Installs an interrupt gate: handler runs with interrupts off, on IST stack ist (0: none). */
void idt_set_gate(u8 vector, void (*handler)(void), u8 ist);

#endif
