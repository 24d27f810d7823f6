/* Console fan-out. Messages are formatted into one line buffer first so each
 * call reaches every output as a whole. */
#include <stdarg.h>
#include "hv/console.h"
#include "hv/printf.h"
#include "hv/serial.h"
#include "kstring.h"

#define CONSOLE_LINE_MAX 512

static enum log_level console_level = LOG_INFO;
static unsigned console_outputs = CONSOLE_BOTH;

void console_init(const struct boot_info *bi)
{
	serial_init();
}

void console_set_level(enum log_level level)
{
	console_level = level;
}

void console_set_outputs(unsigned outputs)
{
	console_outputs = outputs;
}

void console_write(const char *s, size_t n)
{
	if (console_outputs & CONSOLE_SERIAL)
		serial_write(s, n);
}

static void console_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char line[CONSOLE_LINE_MAX];
	size_t used = ksnprintf(line, sizeof(line), "%s", prefix);
	int n = kvsnprintf(line + used, sizeof(line) - used, fmt, ap);
	size_t len = used + (size_t)n;
	if (len >= sizeof(line)) { /* truncated: still end the line */
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	console_write(line, len);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	console_vprint("", fmt, ap);
	va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "hv: error: ", "hv: warning: ", "hv: ", "hv: " };
	if (level > console_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	console_vprint(prefix[level], fmt, ap);
	va_end(ap);
}
