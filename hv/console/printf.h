/* The one formatter of the code base: %s %d %u %x %lx %llx %p %c %%, with
 * width, '0' padding, '-' for left alignment and a precision for strings only
 * (%.4s, %.*s). The console, panic() and every error message build on it. */
#ifndef HV_PRINTF_H
#define HV_PRINTF_H

#include <stdarg.h>
#include "types.h"

/* Like vsnprintf: always NUL-terminates (when n > 0) and returns the length
 * the full output would have had. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends to the text already in buf (n bytes in all), for a message built in
 * steps (a list, a shared prefix): never writes past buf + n, always
 * NUL-terminates (when n > 0); what does not fit is cut off. */
void kappendf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
