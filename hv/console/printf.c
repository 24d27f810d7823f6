/* The kernel's formatter. Output goes through a bounded buffer writer so a
 * long argument can never overrun the caller's buffer. */
#include "hv/console/printf.h"
#include "kstring.h"

struct out {
	char *buf;
	size_t cap; /* usable bytes, excluding the NUL */
	size_t len; /* bytes the full output needs */
};

static void put(struct out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t len, int width, bool left, char pad)
{
	int fill = width > (int)len ? width - (int)len : 0;
	if (!left) {
		/* Zero padding goes after the sign, as in "-0042". */
		if (pad == '0' && len && *s == '-') {
			put(o, *s++);
			len--;
		}
		while (fill--)
			put(o, pad);
	}
	while (len--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

/* Length of s, stopping at max characters when max >= 0 (s need not be
 * NUL-terminated then, as with a 4-byte ACPI signature). */
static size_t string_length(const char *s, int max)
{
	size_t len = 0;
	while ((max < 0 || len < (size_t)max) && s[len])
		len++;
	return len;
}

/* Writes the digits of v in base 10 or 16 into the end of tmp; returns the start. */
static char *format_unsigned(char *end, u64 v, unsigned base)
{
	static const char digits[] = "0123456789abcdef";
	*--end = '\0';
	do {
		*--end = digits[v % base];
		v /= base;
	} while (v);
	return end;
}

/* Reads an integer argument of the size named by the length modifier. */
static u64 arg_unsigned(va_list *ap, int longs)
{
	if (longs >= 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static s64 arg_signed(va_list *ap, int longs)
{
	if (longs >= 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap_in)
{
	struct out o = { buf, n ? n - 1 : 0, 0 };
	va_list ap;
	va_copy(ap, ap_in);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = true;
			else
				pad = '0';
		}
		int width = 0;
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		int precision = -1; /* %.Ns / %.*s: at most N characters of the string */
		if (*fmt == '.') {
			fmt++;
			precision = 0;
			if (*fmt == '*') {
				precision = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				precision = precision * 10 + (*fmt - '0');
		}
		int longs = 0;
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			longs++;

		char tmp[24], *s;
		char c;
		switch (*fmt) {
		case 's':
			s = va_arg(ap, char *);
			if (!s)
				s = "(null)";
			put_padded(&o, s, string_length(s, precision), width, left, ' ');
			break;
		case 'c':
			c = (char)va_arg(ap, int);
			put_padded(&o, &c, 1, width, left, ' ');
			break;
		case 'd': {
			s64 v = arg_signed(&ap, longs);
			s = format_unsigned(tmp + sizeof(tmp), v < 0 ? -(u64)v : (u64)v, 10);
			if (v < 0)
				*--s = '-';
			put_padded(&o, s, strlen(s), width, left, pad);
			break;
		}
		case 'u':
		case 'x':
			s = format_unsigned(tmp + sizeof(tmp), arg_unsigned(&ap, longs), *fmt == 'u' ? 10 : 16);
			put_padded(&o, s, strlen(s), width, left, pad);
			break;
		case 'p':
			s = format_unsigned(tmp + sizeof(tmp), (u64)(uintptr_t)va_arg(ap, void *), 16);
			*--s = 'x';
			*--s = '0';
			put_padded(&o, s, strlen(s), width, left, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--; /* a lone '%' at the end: stop at the NUL */
			break;
		default: /* unknown conversion: show it verbatim so the mistake is visible */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	if (n)
		buf[o.len < o.cap ? o.len : o.cap] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = kvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

void kappendf(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = 0;
	va_list ap;

	if (!n)
		return;
	while (len < n - 1 && buf[len])
		len++;
	va_start(ap, fmt);
	kvsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}
