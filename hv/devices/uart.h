/*
 * The guest's COM1: a 16550A as its datasheet and QEMU's serial model define
 * it, enough for Linux's 8250 driver with interrupts. Transmission is
 * instant (THR bytes go to the VM's console, LSR always has THRE and TEMT:
 * guests that poll it never wait); bytes received come from the operator's
 * keyboard (uart_receive, fed by hv/vm/console_input.c) into a 16-byte FIFO
 * (1 byte with the FIFOs off). Interrupts: receiver line status, received
 * data (at the FIFO trigger level, else as a character timeout), THR empty
 * and modem status, by IER and the 16550A's priorities, on ISA IRQ 4
 * (isa_irq_set). MCR loopback feeds THR to the receiver and the MCR
 * outputs to the modem status, which the 8250 driver's probe checks.
 * Every function runs under vm->lock (hv/vm/vm.h).
 */
#ifndef HV_UART_H
#define HV_UART_H

#include "types.h"

struct vm;

#define UART_COM1 0x3f8
#define UART_COM1_IRQ 4
#define UART_FIFO_SIZE 16

struct uart {
	u8 ier, lcr, mcr, scr, fcr;
	u8 dll, dlm;                /* divisor latch, reached while LCR.DLAB is set */
	u8 lsr_errors;              /* overrun: read (and cleared) through LSR */
	u8 msr_delta;               /* MSR bits 3:0, cleared when MSR is read */
	bool thr_ipending;          /* a THR-empty interrupt waits (cleared by an IIR read naming it or a THR write) */
	bool irq;                   /* the level last put on IRQ 4 */
	u8 rx[UART_FIFO_SIZE];      /* received bytes, oldest at rx_head */
	u32 rx_head, rx_count;
};

u32 uart_read(struct vm *vm, u16 port, u8 size);
void uart_write(struct vm *vm, u16 port, u8 size, u32 value);

/* Bytes from the operator: how many of the n were taken (the FIFO may be full). */
size_t uart_receive(struct vm *vm, const u8 *buf, size_t n);


#endif
