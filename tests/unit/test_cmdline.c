/* Typed key tables: every type, every error message. */
#include "tests/unit/unit.h"
#include <stdio.h>
#include <string.h>

#include "hv/runner/cmdline.h"

static bool nx;
static u64 ratio, mem;
static u32 on_exit_choice;
static char config[16];
static char modules[4][16];
static int nmodules;
static char err[160];

static const char *const exit_choices[] = { "halt", "reset", "shutdown", NULL };

/* A repeatable key: collects module names, refuses ones with a slash. */
static int add_module(void *ctx, const char *v, size_t len, char *errbuf, size_t errlen)
{
	int *count = ctx;
	if (memchr(v, '/', len)) {
		snprintf(errbuf, errlen, "expected a file name without folders");
		return -1;
	}
	snprintf(modules[*count], sizeof(modules[0]), "%.*s", (int)len, v);
	(*count)++;
	return 0;
}

static const struct cmdline_key keys[] = {
	{ .name = "nx_huge_pages", .type = CMDLINE_BOOL, .dest = &nx },
	{ .name = "nx_ratio", .type = CMDLINE_UINT, .dest = &ratio, .min = 1, .max = 1000 },
	{ .name = "mem", .type = CMDLINE_SIZE, .dest = &mem, .min = 1 << 20, .max = 64ull << 30 },
	{ .name = "on_exit", .type = CMDLINE_ENUM, .dest = &on_exit_choice, .choices = exit_choices },
	{ .name = "config", .type = CMDLINE_STRING, .dest = config, .size = sizeof(config) },
	{ .name = "module", .type = CMDLINE_CALLBACK, .fn = add_module, .ctx = &nmodules },
};

static int parse(const char *text)
{
	return cmdline_parse(text, strlen(text), keys, ARRAY_SIZE(keys), err, sizeof(err));
}

static int reset(void **state)
{
	nx = false;
	ratio = mem = 0;
	on_exit_choice = 99;
	memset(config, 0, sizeof(config));
	nmodules = 0;
	strcpy(err, "untouched");
	return 0;
}

static void expect_error(const char *text, const char *message)
{
	assert_int_equal(parse(text), -1);
	assert_string_equal(err, message);
}

static void test_every_type_stores_its_value(void **state)
{
	assert_int_equal(parse("nx_huge_pages=on nx_ratio=60 mem=16M on_exit=reset "
			       "config=\"my suite.cfg\" module=a.txt module=b.txt"), 0);
	assert_string_equal(err, "");
	assert_true(nx);
	assert_int_equal(ratio, 60);
	assert_int_equal(mem, 16 << 20);
	assert_int_equal(on_exit_choice, 1);
	assert_string_equal(config, "my suite.cfg");
	assert_int_equal(nmodules, 2);
	assert_string_equal(modules[1], "b.txt");
}

static void test_empty_text_changes_nothing(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(ratio, 0);
	assert_int_equal(on_exit_choice, 99);
}

static void test_bool(void **state)
{
	assert_int_equal(parse("nx_huge_pages=on"), 0);
	assert_true(nx);
	assert_int_equal(parse("nx_huge_pages=off"), 0);
	assert_false(nx);
	expect_error("nx_huge_pages=yes", "bad value 'yes' for 'nx_huge_pages': expected on or off");
	expect_error("nx_huge_pages=", "bad value '' for 'nx_huge_pages': expected on or off");
}

static void test_unsigned_with_range(void **state)
{
	assert_int_equal(parse("nx_ratio=0x10"), 0);
	assert_int_equal(ratio, 16);
	assert_int_equal(parse("nx_ratio=1000"), 0);
	assert_int_equal(ratio, 1000);
	const char *expect = "expected a number from 1 to 1000";
	char msg[160];
	const char *bad[] = { "x", "0", "1001", "12a", "-1", "0x", "", "99999999999999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[64];
		snprintf(text, sizeof(text), "nx_ratio=%s", bad[i]);
		snprintf(msg, sizeof(msg), "bad value '%s' for 'nx_ratio': %s", bad[i], expect);
		expect_error(text, msg);
	}
	assert_int_equal(ratio, 1000); /* bad values are never stored */
}

static void test_size_suffixes(void **state)
{
	struct { const char *text; u64 bytes; } good[] = {
		{ "mem=1048576", 1 << 20 }, { "mem=1024K", 1 << 20 }, { "mem=2M", 2 << 20 },
		{ "mem=3g", 3ull << 30 }, { "mem=64G", 64ull << 30 }, { "mem=0x200000", 2 << 20 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(parse(good[i].text), 0);
		assert_int_equal(mem, good[i].bytes);
	}
	const char *tail = "expected a size from 1M to 64G (a number with an optional K, M, G or T suffix)";
	char msg[200];
	const char *bad[] = { "65G", "1023K", "M", "16MB", "1T", "99999999999T", "-4K" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[64];
		snprintf(text, sizeof(text), "mem=%s", bad[i]);
		snprintf(msg, sizeof(msg), "bad value '%s' for 'mem': %s", bad[i], tail);
		expect_error(text, msg);
	}
}

static void test_size_and_number_helpers(void **state)
{
	u64 v;
	assert_true(cmdline_parse_size("4k", 2, &v));
	assert_int_equal(v, 4096);
	assert_true(cmdline_parse_size("16777215T", 9, &v));
	assert_int_equal(v, 16777215ull << 40);
	assert_false(cmdline_parse_size("16777216T", 9, &v)); /* 2^64 overflows */
	assert_false(cmdline_parse_size("", 0, &v));
	assert_true(cmdline_parse_u64("18446744073709551615", 20, &v));
	assert_int_equal(v, ~0ull);
	assert_false(cmdline_parse_u64("18446744073709551616", 20, &v));
	assert_true(cmdline_parse_u64("0xFFFFFFFFFFFFFFFF", 18, &v));
	assert_false(cmdline_parse_u64("0x10000000000000000", 19, &v));
	assert_true(cmdline_parse_u64("0", 1, &v));
	assert_int_equal(v, 0);
}

static void test_enum(void **state)
{
	assert_int_equal(parse("on_exit=shutdown"), 0);
	assert_int_equal(on_exit_choice, 2);
	assert_int_equal(parse("on_exit=halt"), 0);
	assert_int_equal(on_exit_choice, 0);
	expect_error("on_exit=reboot",
		     "bad value 'reboot' for 'on_exit': expected one of halt, reset, shutdown");
	expect_error("on_exit=hal", "bad value 'hal' for 'on_exit': expected one of halt, reset, shutdown");
}

static void test_string_length_limit(void **state)
{
	assert_int_equal(parse("config=123456789012345"), 0); /* 15 fits with the NUL */
	assert_string_equal(config, "123456789012345");
	expect_error("config=1234567890123456",
		     "bad value '1234567890123456' for 'config': expected at most 15 characters");
	assert_int_equal(parse("config=\"\""), 0);
	assert_string_equal(config, "");
}

static void test_callback_errors_are_prefixed(void **state)
{
	expect_error("module=a.txt module=dir/b.txt",
		     "bad value 'dir/b.txt' for 'module': expected a file name without folders");
	assert_int_equal(nmodules, 1); /* the first one went through */
}

static void test_unknown_key(void **state)
{
	expect_error("nx_ratio=5 bogus=1", "unknown key 'bogus'");
	assert_int_equal(ratio, 5);
	expect_error("nx_rati=5", "unknown key 'nx_rati'");
	expect_error("NX_RATIO=5", "unknown key 'NX_RATIO'");
}

static void test_duplicate_key(void **state)
{
	expect_error("nx_ratio=5 mem=2M nx_ratio=6", "key 'nx_ratio' given twice");
	assert_int_equal(ratio, 5);
}

static void test_syntax_error_is_reported(void **state)
{
	expect_error("nx_ratio=5 verbose", "column 12: expected key=value, found 'verbose'");
	expect_error("config=\"open", "column 8: missing closing quote in the value of 'config'");
}

static void test_required_keys(void **state)
{
	static char name[8];
	static u64 size;
	const struct cmdline_key vm[] = {
		{ .name = "name", .type = CMDLINE_STRING, .dest = name, .size = sizeof(name),
		  .flags = CMDLINE_REQUIRED },
		{ .name = "mem", .type = CMDLINE_SIZE, .dest = &size, .max = ~0ull, .flags = CMDLINE_REQUIRED },
	};
	assert_int_equal(cmdline_parse("name=x mem=1M", 13, vm, 2, err, sizeof(err)), 0);
	assert_int_equal(cmdline_parse("name=x", 6, vm, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "missing key 'mem'");
	assert_int_equal(cmdline_parse("# nothing", 9, vm, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "missing key 'name'");
}

static void test_apply_one_pair(void **state)
{
	struct keyval kv = { .key = "nx_ratio", .key_len = 8, .value = "7", .value_len = 1 };
	assert_int_equal(cmdline_apply(&kv, keys, ARRAY_SIZE(keys), err, sizeof(err)), 0);
	assert_int_equal(ratio, 7);
	kv.value = "0";
	assert_int_equal(cmdline_apply(&kv, keys, ARRAY_SIZE(keys), NULL, 0), -1); /* no buffer is fine */
}

static void test_errors_truncate_safely(void **state)
{
	char small[12];
	assert_int_equal(cmdline_parse("bogus=1", 7, keys, ARRAY_SIZE(keys), small, sizeof(small)), -1);
	assert_string_equal(small, "unknown key");
}

#define T(f) cmocka_unit_test_setup(f, reset)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_every_type_stores_its_value), T(test_empty_text_changes_nothing), T(test_bool),
		T(test_unsigned_with_range), T(test_size_suffixes), T(test_size_and_number_helpers),
		T(test_enum), T(test_string_length_limit), T(test_callback_errors_are_prefixed),
		T(test_unknown_key), T(test_duplicate_key), T(test_syntax_error_is_reported),
		T(test_required_keys), T(test_apply_one_pair), T(test_errors_truncate_safely),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
