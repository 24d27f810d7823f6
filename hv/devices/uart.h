/*
 * The guest's COM1: a 16550 that accepts every set-up write, sends THR
 * bytes to the VM's console and is always ready to transmit (LSR reads
 * with THRE and TEMT set, or guests that poll it would spin forever).
 */
#ifndef HV_UART_H
#define HV_UART_H

#include "types.h"

struct vm;

#define UART_COM1 0x3f8

struct uart {
	u8 ier, lcr, mcr, scr;
	u8 dll, dlm; /* divisor latch, reached while LCR.DLAB is set */
};

u32 uart_read(struct vm *vm, u16 port, u8 size);
void uart_write(struct vm *vm, u16 port, u8 size, u32 value);

#endif
