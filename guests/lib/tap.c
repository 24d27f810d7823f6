#include "tap.h"
#include "cpu.h"
#include "print.h"
#include "serial.h"

#define DEBUG_EXIT_PORT 0xF4

static int planned = -1, ran, failed;

void plan(int tests)
{
	planned = tests;
	print("1..%d\n", tests);
}

static bool result(bool cond, const char *fmt, va_list ap)
{
	ran++;
	if (!cond)
		failed++;
	print("%sok %d - ", cond ? "" : "not ", ran);
	vprint(fmt, ap);
	print("\n");
	return cond;
}

bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	result(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool ok_eq(u64 got, u64 want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	result(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		diag("got 0x%llx, want 0x%llx", (unsigned long long)got, (unsigned long long)want);
	return got == want;
}

void skip(const char *reason, const char *fmt, ...)
{
	va_list ap;
	ran++;
	print("ok %d - ", ran);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print(" # SKIP %s\n", reason);
}

void diag(const char *fmt, ...)
{
	va_list ap;
	print("# ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
}

void bail_out(const char *fmt, ...)
{
	va_list ap;
	print("not ok %d - ", ++ran);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
	guest_exit(1);
}

u32 tap_status(void)
{
	return failed || (planned >= 0 && ran != planned) ? 1 : 0;
}

void tap_finish(void)
{
	if (planned >= 0 && ran != planned)
		diag("planned %d tests but ran %d", planned, ran);
	if (failed)
		diag("%d of %d tests failed", failed, ran);
	guest_exit(tap_status());
}

void guest_exit(u32 status)
{
	serial_flush();
	outl(DEBUG_EXIT_PORT, status);
	for (;;) /* no debug-exit device: stop here */
		__asm__ volatile("cli; hlt");
}
