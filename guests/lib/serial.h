/* COM1 (16550 at 0x3F8): the guests' only output. */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include "types.h"

#define COM1 0x3F8
#define UART_LSR 5
#define LSR_THR_EMPTY (1u << 5) /* room for the next byte */
#define LSR_TX_EMPTY (1u << 6)  /* everything sent */

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t len);
void serial_flush(void);

#endif
