/* The 16550 UART at COM1 (0x3F8): the console every emulator and most servers have. */
#ifndef HV_SERIAL_H
#define HV_SERIAL_H

#include "types.h"

/* Probes for the UART and programs it for 115200 8N1; returns whether it exists. */
bool serial_init(void);
void serial_write(const char *s, size_t n);
/* Waits until the transmitter is empty, so nothing is lost when the machine stops. */
void serial_drain(void);
/* A byte received, or -1 when none waits (polled: the UART's interrupts stay off). */
int serial_getc(void);

#endif
