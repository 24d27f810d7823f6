/* COM1 driver: polled output, and polled input for the VM that owns it (hv/vm/console_input.h). */
#include "hv/console/serial.h"
#include "hv/cpu/cpu.h"

#define COM1 0x3F8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_SCRATCH 7
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_TX_IDLE 0x40
/* Bounded waits: a wedged or absent UART must not hang the hypervisor. */
#define SERIAL_SPIN_LIMIT 1000000

static bool present;

bool serial_init(void)
{
	/* No UART: the scratch register reads back 0xFF (floating bus), not what we wrote. */
	outb(COM1 + REG_SCRATCH, 0x5A);
	if (inb(COM1 + REG_SCRATCH) != 0x5A)
		return present = false;
	outb(COM1 + REG_SCRATCH, 0xA5);
	if (inb(COM1 + REG_SCRATCH) != 0xA5)
		return present = false;

	outb(COM1 + REG_IER, 0x00);           /* polled: no interrupts */
	outb(COM1 + REG_LCR, LCR_DLAB);
	outb(COM1 + REG_DATA, 1);             /* divisor 1 = 115200 baud */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, LCR_8N1);
	outb(COM1 + REG_FCR, 0x07);           /* enable and clear FIFOs */
	outb(COM1 + REG_MCR, 0x03);           /* DTR + RTS */
	return present = true;
}

static void serial_putc(char c)
{
	for (int i = 0; i < SERIAL_SPIN_LIMIT && !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY); i++)
		cpu_relax();
	outb(COM1 + REG_DATA, (u8)c);
}

void serial_write(const char *s, size_t n)
{
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void serial_drain(void)
{
	if (!present)
		return;
	for (int i = 0; i < SERIAL_SPIN_LIMIT && !(inb(COM1 + REG_LSR) & LSR_TX_IDLE); i++)
		cpu_relax();
}

int serial_getc(void)
{
	if (!present || !(inb(COM1 + REG_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + REG_DATA);
}
