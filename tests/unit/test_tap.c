/* Following a guest's TAP report: what counts as a pass, a failure, a plan. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/runner/tap.h"

static void feed(struct tap *t, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		tap_line(t, p, len);
		p += len + (nl != NULL);
	}
}

static void test_clean_report(void **state)
{
	struct tap t = { 0 };
	char buf[64];
	feed(&t, "1..2\nok 1 - a\n# diag: not ok is only a word here\nok 2 - b\n");
	assert_true(t.has_plan);
	assert_int_equal(t.planned, 2);
	assert_int_equal(t.passed, 2);
	assert_int_equal(t.failed, 0);
	assert_null(tap_problem(&t, buf, sizeof(buf)));
}

static void test_failure(void **state)
{
	struct tap t = { 0 };
	char buf[64];
	feed(&t, "1..2\nok 1 - a\nnot ok 2 - b\n");
	assert_int_equal(t.failed, 1);
	assert_string_equal(tap_problem(&t, buf, sizeof(buf)), "1 test not ok");
}

static void test_plan_not_met(void **state)
{
	struct tap t = { 0 };
	char buf[64];
	feed(&t, "1..3\nok 1\nok 2\n");
	assert_string_equal(tap_problem(&t, buf, sizeof(buf)), "plan 1..3 but 2 tests ran");
}

static void test_not_tap(void **state)
{
	struct tap t = { 0 };
	char buf[64];
	feed(&t, "okay\nnot okay\n1..x\nhello\n");
	assert_false(t.has_plan);
	assert_int_equal(t.passed + t.failed, 0);
	assert_null(tap_problem(&t, buf, sizeof(buf))); /* no plan, no failure: nothing to hold against it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_report),
		cmocka_unit_test(test_failure),
		cmocka_unit_test(test_plan_not_met),
		cmocka_unit_test(test_not_tap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
