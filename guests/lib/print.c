#include "print.h"
#include "serial.h"
#include "types.h"
#include "gstring.h"

/* Bitwise long division: 32-bit guests have no libgcc for u64 / u32. */
static u64 divmod(u64 n, unsigned d, unsigned *rem)
{
	u64 q = 0, r = 0;
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = (unsigned)r;
	return q;
}

static void put_number(u64 v, unsigned base, int width, char pad, bool negative)
{
	char buf[24];
	int n = 0;
	do {
		unsigned digit;
		v = divmod(v, base, &digit);
		buf[n++] = "0123456789abcdef"[digit];
	} while (v);
	if (negative)
		buf[n++] = '-';
	while (n < width--)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		u64 u;
		s64 s;
		switch (*fmt) {
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			serial_write(str, strlen(str));
			break;
		}
		case 'd':
		case 'i':
			s = longs > 1 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
			put_number(s < 0 ? -(u64)s : (u64)s, 10, width, pad, s < 0);
			break;
		case 'u':
		case 'x':
			u = longs > 1 ? va_arg(ap, unsigned long long)
			    : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			put_number(u, *fmt == 'u' ? 10 : 16, width, pad, false);
			break;
		case 'p':
			serial_write("0x", 2);
			put_number((u64)(unsigned long)va_arg(ap, void *), 16, width, pad, false);
			break;
		case '%':
			serial_putc('%');
			break;
		default: /* unknown conversion: show it rather than guess */
			serial_putc('%');
			serial_putc(*fmt);
			if (!*fmt)
				return;
		}
	}
}

void print(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}
