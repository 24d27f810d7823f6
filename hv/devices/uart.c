/* COM1 for guests (hv/devices/uart.h), a 16550A. Register numbers are offsets from UART_COM1. */
#include "hv/devices/uart.h"
#include "hv/vm/vm.h"
#include "hv/vm/guest_console.h"

enum { REG_DATA, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

#define IER_RDI 0x01      /* received data available */
#define IER_THRI 0x02     /* THR empty */
#define IER_RLSI 0x04     /* receiver line status */
#define IER_MSI 0x08      /* modem status */
#define IER_MASK 0x0f
#define IIR_NO_INTERRUPT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c  /* data below the trigger level (the FIFO's character timeout) */
#define IIR_FIFOS_ON 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_TRIGGER(fcr) ((fcr) >> 6)
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f
#define LSR_DR 0x01       /* data ready */
#define LSR_OE 0x02       /* overrun: a byte arrived with the FIFO full */
#define LSR_THRE 0x20     /* transmit holding register empty */
#define LSR_TEMT 0x40     /* transmitter empty */
#define MSR_DCTS 0x01
#define MSR_TERI 0x04
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_LINES_UP (MSR_CTS | MSR_DSR | MSR_DCD) /* a terminal on the line, ready */

static const u8 trigger_levels[4] = { 1, 4, 8, 14 };

/* FIFO mode holds 16 bytes; 16450 mode (FIFOs off) a single one. */
static u32 rx_capacity(const struct uart *u)
{
	return u->fcr & FCR_ENABLE ? UART_FIFO_SIZE : 1;
}

/* The modem inputs: a ready terminal, or in loopback the MCR outputs wired back (datasheet). */
static u8 modem_lines(const struct uart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_LINES_UP;
	return (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
	       (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
}

/* The pending interrupt of highest priority (16550A: line status, data, THR empty, modem status). */
static u8 interrupt_id(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && u->lsr_errors)
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count)
		return !(u->fcr & FCR_ENABLE) || u->rx_count >= trigger_levels[FCR_TRIGGER(u->fcr)] ? IIR_RDI
												   : IIR_TIMEOUT;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && u->msr_delta)
		return IIR_MSI;
	return IIR_NO_INTERRUPT;
}

/* IRQ 4 follows "an interrupt is pending"; the line moves only on a change. */
static void update_irq(struct vm *vm)
{
	struct uart *u = &vm->uart;
	bool level = interrupt_id(u) != IIR_NO_INTERRUPT;

	if (level != u->irq) {
		u->irq = level;
		isa_irq_set(vm, UART_COM1_IRQ, level);
	}
}

static bool rx_push(struct uart *u, u8 byte)
{
	if (u->rx_count == rx_capacity(u)) {
		u->lsr_errors |= LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count++) % UART_FIFO_SIZE] = byte;
	return true;
}

static u8 rx_pop(struct uart *u)
{
	u8 byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static void rx_clear(struct uart *u)
{
	u->rx_head = u->rx_count = 0;
}

size_t uart_receive(struct vm *vm, const u8 *buf, size_t n)
{
	struct uart *u = &vm->uart;
	size_t taken = 0;

	if (u->mcr & MCR_LOOP) /* the line is disconnected in loopback */
		return 0;
	while (taken < n && u->rx_count < rx_capacity(u))
		rx_push(u, buf[taken++]);
	update_irq(vm);
	return taken;
}

/* Sent bytes go out at once, so THR is empty again right after the write. */
static void transmit(struct vm *vm, u8 byte)
{
	struct uart *u = &vm->uart;

	if (u->mcr & MCR_LOOP)
		rx_push(u, byte);
	else
		guest_console_write(vm, (const char *)&byte, 1);
	u->thr_ipending = false;
	update_irq(vm); /* lowered, so the THRE interrupt below is a new edge */
	u->thr_ipending = true;
}

static u8 read_iir(struct uart *u)
{
	u8 id = interrupt_id(u);

	if (id == IIR_THRI) /* reading IIR when it names THRE clears it (datasheet) */
		u->thr_ipending = false;
	return id | (u->fcr & FCR_ENABLE ? IIR_FIFOS_ON : 0);
}

static u8 read_msr(struct uart *u)
{
	u8 v = modem_lines(u) | u->msr_delta;

	u->msr_delta = 0;
	return v;
}

static u8 read_lsr(struct uart *u)
{
	u8 v = LSR_THRE | LSR_TEMT | u->lsr_errors | (u->rx_count ? LSR_DR : 0);

	u->lsr_errors = 0;
	return v;
}

u32 uart_read(struct vm *vm, u16 port, u8 size)
{
	struct uart *u = &vm->uart;
	bool dlab = u->lcr & LCR_DLAB;
	u32 v;

	switch (port - UART_COM1) {
	case REG_DATA: v = dlab ? u->dll : rx_pop(u); break;
	case REG_IER: v = dlab ? u->dlm : u->ier; break;
	case REG_IIR_FCR: v = read_iir(u); break;
	case REG_LCR: v = u->lcr; break;
	case REG_MCR: v = u->mcr; break;
	case REG_LSR: v = read_lsr(u); break;
	case REG_MSR: v = read_msr(u); break;
	default: v = u->scr; break;
	}
	update_irq(vm);
	return v;
}

static void write_ier(struct uart *u, u8 v)
{
	/* Enabling THRE interrupts with THR empty raises one at once (QEMU and hardware alike). */
	if ((v & IER_THRI) && !(u->ier & IER_THRI))
		u->thr_ipending = true;
	u->ier = v & IER_MASK;
}

static void write_fcr(struct uart *u, u8 v)
{
	if ((v ^ u->fcr) & FCR_ENABLE || (v & FCR_CLEAR_RX)) /* switching the FIFOs on or off empties them */
		rx_clear(u);
	u->fcr = v & (FCR_ENABLE | 0xc0); /* the clear bits do not stay set */
}

/* MCR changes move the modem inputs in loopback: the delta bits record it. */
static void write_mcr(struct uart *u, u8 v)
{
	u8 before = modem_lines(u), after, changed;

	u->mcr = v & MCR_MASK;
	after = modem_lines(u);
	changed = before ^ after;
	u->msr_delta |= (changed >> 4) & ~MSR_TERI;
	if ((before & MSR_RI) && !(after & MSR_RI)) /* RI's trailing edge */
		u->msr_delta |= MSR_TERI;
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
			transmit(vm, v);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = v;
		else
			write_ier(u, v);
		break;
	case REG_IIR_FCR: write_fcr(u, v); break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: write_mcr(u, v); break;
	case REG_SCR: u->scr = v; break;
	default: break; /* LSR and MSR are read-only (factory test writes are ignored) */
	}
	update_irq(vm);
}
