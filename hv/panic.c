/* panic(): one place where the hypervisor gives up, with a status tools recognize. */
#include <stdarg.h>
#include "hv/panic.h"
#include "hv/console/console.h"
#include "hv/console/printf.h"
#include "hv/hv_exit.h"
#include "hv/cpu/cpu.h"

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	cli();
	console_break_lock();
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("hv: PANIC: %s\n", msg);
	hv_exit(HV_EXIT_PANIC);
}
