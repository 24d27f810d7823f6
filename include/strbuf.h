/*
 * Building short messages (errors, summaries) into a caller's buffer without
 * libc: portable, freestanding and hosted. Output is always NUL-terminated and
 * silently truncated at the buffer's end; a NULL or empty buffer discards all.
 */
#ifndef HV_STRBUF_H
#define HV_STRBUF_H

#include "types.h"

struct strbuf {
	char *buf;
	size_t cap; /* bytes in buf, including the terminating NUL */
	size_t len; /* characters written so far (<= cap - 1) */
};

static inline void sb_init(struct strbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = buf ? cap : 0;
	sb->len = 0;
	if (sb->cap)
		buf[0] = '\0';
}

static inline void sb_putc(struct strbuf *sb, char c)
{
	if (sb->len + 1 >= sb->cap)
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

static inline void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++)
		sb_putc(sb, s[i]);
}

static inline void sb_puts(struct strbuf *sb, const char *s)
{
	while (*s)
		sb_putc(sb, *s++);
}

static inline void sb_putu(struct strbuf *sb, u64 v)
{
	char digits[20];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		sb_putc(sb, digits[--n]);
}

/* Hexadecimal with a 0x prefix, no leading zeros. */
static inline void sb_putx(struct strbuf *sb, u64 v)
{
	int shift = 60;
	sb_puts(sb, "0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		sb_putc(sb, "0123456789abcdef"[(v >> shift) & 0xf]);
}

#endif
