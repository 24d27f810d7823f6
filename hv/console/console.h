/* The hypervisor's console: formatted, levelled messages fanned out to the
 * serial port and the framebuffer. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include "types.h"
#include "boot_info.h"

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Where console output goes (console= key). */
enum console_output { CONSOLE_SERIAL = 1, CONSOLE_FB = 2, CONSOLE_BOTH = 3 };

/* Serial first: it needs nothing. */
void console_init(const struct boot_info *bi);
/* Adds the framebuffer (once it is mapped) and shows what was printed so far. */
void console_enable_fb(const struct boot_info *bi);
/* On the way down (panic, fatal exception): print without taking the lock,
 * which the failing CPU may hold. */
void console_break_lock(void);
void console_set_level(enum log_level level);
void console_set_outputs(unsigned outputs);
void console_write(const char *s, size_t n);

/* Printed whatever the log level: results, summaries, dumps. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed when level <= the console's level, prefixed "hv: " (and "error: " or
 * "warning: " for those levels). */
void klog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) klog(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) klog(LOG_WARN, __VA_ARGS__)
#define log_info(...) klog(LOG_INFO, __VA_ARGS__)
#define log_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
