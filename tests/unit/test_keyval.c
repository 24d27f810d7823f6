/* The key=value tokenizer and the line splitter. */
#include "tests/unit/unit.h"
#include <stdio.h>
#include <string.h>

#include "hv/runner/keyval.h"

static char err[128];

/* Tokenizes text; expects exactly the pairs "k=v" listed in want (NULL-terminated). */
static void expect_pairs(const char *text, const char *const *want)
{
	struct keyval_iter it;
	struct keyval kv;
	char got[128];
	keyval_init(&it, text, strlen(text));
	for (; *want; want++) {
		assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 1);
		snprintf(got, sizeof(got), "%.*s=%.*s", (int)kv.key_len, kv.key,
			 (int)kv.value_len, kv.value);
		assert_string_equal(got, *want);
	}
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 0);
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 0); /* stays at the end */
}

static void expect_error(const char *text, int good_pairs, const char *message)
{
	struct keyval_iter it;
	struct keyval kv;
	keyval_init(&it, text, strlen(text));
	for (int i = 0; i < good_pairs; i++)
		assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 1);
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void test_plain_words(void **state)
{
	expect_pairs("a=1 bb=two\tc=3  ", (const char *const[]){ "a=1", "bb=two", "c=3", NULL });
	expect_pairs("", (const char *const[]){ NULL });
	expect_pairs("   \t ", (const char *const[]){ NULL });
}

static void test_empty_value_and_equals_inside_value(void **state)
{
	expect_pairs("a= b=x=y", (const char *const[]){ "a=", "b=x=y", NULL });
}

static void test_quoted_values(void **state)
{
	expect_pairs("args=\"quoted text  here\" n=1 e=\"\"",
		     (const char *const[]){ "args=quoted text  here", "n=1", "e=", NULL });
	expect_pairs("x=\"#not a comment\"", (const char *const[]){ "x=#not a comment", NULL });
}

static void test_comments_end_the_text(void **state)
{
	expect_pairs("# all comment", (const char *const[]){ NULL });
	expect_pairs("a=1 #rest b=2", (const char *const[]){ "a=1", NULL });
	expect_pairs("a=b#c", (const char *const[]){ "a=b#c", NULL }); /* only at a word's start */
}

static void test_column_of_each_word(void **state)
{
	struct keyval_iter it;
	struct keyval kv;
	keyval_init(&it, "  a=1   b=2", 11);
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 1);
	assert_int_equal(kv.column, 3);
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 1);
	assert_int_equal(kv.column, 9);
	assert_true(keyval_key_is(&kv, "b"));
	assert_false(keyval_key_is(&kv, "bb"));
	assert_false(keyval_key_is(&kv, ""));
}

static void test_syntax_errors_name_the_column(void **state)
{
	expect_error("a=1 foo", 1, "column 5: expected key=value, found 'foo'");
	expect_error("=x", 0, "column 1: expected key=value, found '=x'");
	expect_error("a=1 args=\"never closed", 1,
		     "column 10: missing closing quote in the value of 'args'");
	expect_error("name=\"x\"y", 0, "column 9: expected a blank after the closing quote of 'name'");
}

static void test_text_is_bounded_by_length(void **state)
{
	struct keyval_iter it;
	struct keyval kv;
	keyval_init(&it, "a=1 b=2", 3); /* only "a=1" */
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 1);
	assert_int_equal(kv.value_len, 1);
	assert_int_equal(keyval_next(&it, &kv, err, sizeof(err)), 0);
}

static void test_lines(void **state)
{
	const char *text = "one\r\n\ntwo words\nlast";
	struct line_iter it;
	const char *line;
	size_t len;
	line_iter_init(&it, text, strlen(text));
	assert_true(line_next(&it, &line, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(line, "one", 3);
	assert_true(line_next(&it, &line, &len));
	assert_int_equal(len, 0);
	assert_int_equal(it.lineno, 2);
	assert_true(line_next(&it, &line, &len));
	assert_memory_equal(line, "two words", 9);
	assert_true(line_next(&it, &line, &len));
	assert_int_equal(len, 4);
	assert_int_equal(it.lineno, 4);
	assert_false(line_next(&it, &line, &len));
	line_iter_init(&it, "x\n", 2);
	assert_true(line_next(&it, &line, &len));
	assert_false(line_next(&it, &line, &len)); /* no empty line after the last newline */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_words),
		cmocka_unit_test(test_empty_value_and_equals_inside_value),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_comments_end_the_text),
		cmocka_unit_test(test_column_of_each_word),
		cmocka_unit_test(test_syntax_errors_name_the_column),
		cmocka_unit_test(test_text_is_bounded_by_length),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
