/* Console fan-out. Messages are formatted into one line buffer first so each
 * call reaches every output whole, under one lock so CPUs do not interleave.
 * The framebuffer joins once the hypervisor's page tables map it; what was
 * printed before is kept in a small buffer and replayed onto it. */
#include <stdarg.h>
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/console/fbcon.h"
#include "hv/console/printf.h"
#include "hv/console/serial.h"
#include "mm/spinlock.h"
#include "kstring.h"

#define CONSOLE_LINE_MAX 512
#define EARLY_LOG_SIZE 4096

static enum log_level console_level = LOG_INFO;
static unsigned console_outputs = CONSOLE_BOTH;
static struct spinlock console_lock = SPINLOCK_INIT;
static bool console_unlocked; /* set on the way down: a dying CPU may hold the lock */

static char early_log[EARLY_LOG_SIZE];
static size_t early_len;

void console_init(const struct boot_info *bi)
{
	serial_init();
}

void console_enable_fb(const struct boot_info *bi)
{
	if (!(console_outputs & CONSOLE_FB) || !fbcon_init(&bi->fb))
		return;
	fbcon_write(early_log, early_len);
	early_len = 0;
}

void console_set_level(enum log_level level)
{
	console_level = level;
}

void console_set_outputs(unsigned outputs)
{
	console_outputs = outputs;
}

void console_break_lock(void)
{
	console_unlocked = true;
}

static void write_outputs(const char *s, size_t n)
{
	if (console_outputs & CONSOLE_SERIAL)
		serial_write(s, n);
	if (!(console_outputs & CONSOLE_FB))
		return;
	if (fbcon_present()) {
		fbcon_write(s, n);
	} else if (early_len + n <= sizeof(early_log)) {
		memcpy(early_log + early_len, s, n);
		early_len += n;
	}
}

/* Interrupts stay off while the lock is held: an interrupt handler that
 * prints on this CPU would otherwise spin on a lock its own CPU holds. */
void console_write(const char *s, size_t n)
{
	bool locked = !console_unlocked;
	u64 rflags = read_rflags();
	cli();
	if (locked)
		spin_lock(&console_lock);
	write_outputs(s, n);
	if (locked)
		spin_unlock(&console_lock);
	if (rflags & RFLAGS_IF)
		sti();
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
