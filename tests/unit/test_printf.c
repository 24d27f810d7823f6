/* The kernel formatter (hv/console/printf.c), checked against the C library's
 * snprintf for the conversions the kernel supports. */
#include "tests/unit/unit.h"
#include <stdio.h>
#include <string.h>

#include "hv/console/printf.h"

/* Formats with both and expects the same text and the same return value. */
#define SAME(fmt, ...)                                                                      \
	do {                                                                                \
		char ours[128], libc[128];                                                  \
		int a = ksnprintf(ours, sizeof(ours), fmt, __VA_ARGS__);                    \
		int b = snprintf(libc, sizeof(libc), fmt, __VA_ARGS__);                     \
		assert_string_equal(ours, libc);                                            \
		assert_int_equal(a, b);                                                     \
	} while (0)

static void test_integers(void **state)
{
	SAME("%d %d %d", 0, -1, 2147483647);
	SAME("%d", (int)-2147483647 - 1);
	SAME("%u %u", 0u, 4294967295u);
	SAME("%x %x", 0xdeadbeefu, 0u);
	SAME("%lx %llx", 0xfffffffffffffffful, 0x123456789abcdefull);
	SAME("%ld %lu", (long)-9000000000ll, (unsigned long)18000000000ull);
	SAME("%zu", (size_t)4096);
}

static void test_width_and_padding(void **state)
{
	SAME("[%5d] [%-5d] [%05d]", 42, 42, 42);
	SAME("[%05d] [%6d]", -42, -42);
	SAME("[%016lx] [%08x]", 0x1234ul, 0xabu);
	SAME("[%10s] [%-10s] [%2s]", "abc", "abc", "abcdef");
	SAME("[%c] [%3c] [%-3c]", 'x', 'y', 'z');
	SAME("%%d %s", "literal");
}

static void test_string_precision(void **state)
{
	static const char sig[4] = { 'A', 'P', 'I', 'C' }; /* not NUL-terminated */
	SAME("[%.4s] [%.*s] [%.*s]", sig, 2, "abcdef", 0, "abc");
	SAME("[%.*s] [%.9s] [%-6.2s]", -1, "whole", "short", "abcdef");
}

/* These feed the formatter what the compiler's format check rightly rejects. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"

static void test_pointer_and_null_string(void **state)
{
	char buf[64];
	ksnprintf(buf, sizeof(buf), "%p", (void *)0x1000);
	assert_string_equal(buf, "0x1000");
	ksnprintf(buf, sizeof(buf), "%s", (char *)NULL);
	assert_string_equal(buf, "(null)");
}

static void test_truncation(void **state)
{
	char buf[8];
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345), 12);
	assert_string_equal(buf, "abcdef-"); /* cut, always terminated */
	assert_int_equal(ksnprintf(buf, 1, "abc"), 3);
	assert_string_equal(buf, "");
	assert_int_equal(ksnprintf(NULL, 0, "%d", 123), 3); /* size only */
}

static void test_append(void **state)
{
	char buf[12];
	ksnprintf(buf, sizeof(buf), "a=%d", 1);
	kappendf(buf, sizeof(buf), ", b=%s", "two");
	assert_string_equal(buf, "a=1, b=two");
	kappendf(buf, sizeof(buf), "%s", "XYZ"); /* one byte left: cut */
	assert_string_equal(buf, "a=1, b=twoX");
	kappendf(buf, sizeof(buf), "more");    /* full: unchanged, still terminated */
	assert_string_equal(buf, "a=1, b=twoX");
	kappendf(NULL, 0, "nothing");          /* no buffer is fine */
}

static void test_unknown_conversion_is_visible(void **state)
{
	char buf[32];
	ksnprintf(buf, sizeof(buf), "a%qb");
	assert_string_equal(buf, "a%qb");
	ksnprintf(buf, sizeof(buf), "end%");
	assert_string_equal(buf, "end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_width_and_padding),
		cmocka_unit_test(test_string_precision),
		cmocka_unit_test(test_pointer_and_null_string),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_unknown_conversion_is_visible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
