/* printf-style output to COM1: %s %c %d %i %u %x %p, flags '0', width, l/ll. */
#ifndef GUEST_PRINT_H
#define GUEST_PRINT_H

#include <stdarg.h>

void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprint(const char *fmt, va_list ap);

#endif
