/* COM1 for guests (hv/devices/uart.h). Register numbers are offsets from UART_COM1. */
#include "hv/devices/uart.h"
#include "hv/vm/vm.h"
#include "hv/vm/guest_console.h"

enum { REG_DATA, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

#define LCR_DLAB 0x80
#define IIR_NO_INTERRUPT 0x01
#define LSR_THRE 0x20     /* transmit holding register empty */
#define LSR_TEMT 0x40     /* transmitter empty */
#define MSR_CTS_DSR_DCD 0xb0

u32 uart_read(struct vm *vm, u16 port, u8 size)
{
	struct uart *u = &vm->uart;
	bool dlab = u->lcr & LCR_DLAB;

	switch (port - UART_COM1) {
	case REG_DATA: return dlab ? u->dll : 0; /* nothing is ever received */
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR: return IIR_NO_INTERRUPT;
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return LSR_THRE | LSR_TEMT;
	case REG_MSR: return MSR_CTS_DSR_DCD;
	default: return u->scr;
	}
}

void uart_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	struct uart *u = &vm->uart;
	bool dlab = u->lcr & LCR_DLAB;
	u8 v = (u8)value;

	switch (port - UART_COM1) {
	case REG_DATA:
		if (dlab)
			u->dll = v;
		else
			guest_console_write(vm, (const char *)&v, 1);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v;
		break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v; break;
	case REG_SCR: u->scr = v; break;
	default: break; /* FCR, LSR, MSR: accepted, nothing to keep */
	}
}
