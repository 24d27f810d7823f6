#include "serial.h"
#include "cpu.h"

/* 115200 baud, 8N1, FIFOs on, no interrupts. */
void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* IER: no interrupts */
	outb(COM1 + 3, 0x80); /* LCR: DLAB on to set the divisor */
	outb(COM1 + 0, 0x01); /* divisor 1 = 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* LCR: 8 data bits, no parity, 1 stop bit */
	outb(COM1 + 2, 0xC7); /* FCR: enable and clear FIFOs */
	outb(COM1 + 4, 0x03); /* MCR: DTR + RTS */
}

void serial_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(COM1, (u8)c);
}

void serial_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		serial_putc(s[i]);
}

/* Wait until the last byte has left the transmitter (before exiting). */
void serial_flush(void)
{
	while (!(inb(COM1 + UART_LSR) & LSR_TX_EMPTY))
		;
}
