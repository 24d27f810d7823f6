/* TAP lines from a guest's console (hv/runner/tap.h). */
#include "hv/runner/tap.h"
#include "hv/console/printf.h"

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t i = 0;
	for (; prefix[i]; i++) {
		if (i >= len || s[i] != prefix[i])
			return false;
	}
	return true;
}

/* Parses decimal digits at s[*i]; false when there are none. */
static bool parse_u32(const char *s, size_t len, size_t *i, u32 *out)
{
	u64 v = 0;
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9' && v <= 0xffffffffu)
		v = v * 10 + (u64)(s[(*i)++] - '0');
	*out = (u32)v;
	return *i > start && v <= 0xffffffffu;
}

/* A test line is `ok` or `not ok`, then the end of the line or a space. */
static bool is_result(const char *s, size_t len, const char *word)
{
	size_t n = 0;
	while (word[n])
		n++;
	return starts_with(s, len, word) && (len == n || s[n] == ' ');
}

void tap_line(struct tap *tap, const char *line, size_t len)
{
	size_t i = 3;
	u32 n;

	if (is_result(line, len, "not ok"))
		tap->failed++;
	else if (is_result(line, len, "ok"))
		tap->passed++;
	else if (starts_with(line, len, "1..") && parse_u32(line, len, &i, &n) &&
		 (i == len || line[i] == ' ')) {
		tap->has_plan = true;
		tap->planned = n;
	}
}

const char *tap_problem(const struct tap *tap, char *buf, size_t buflen)
{
	if (tap->failed) {
		ksnprintf(buf, buflen, "%u test%s not ok", tap->failed, tap->failed == 1 ? "" : "s");
		return buf;
	}
	if (tap->has_plan && tap->passed != tap->planned) {
		ksnprintf(buf, buflen, "plan 1..%u but %u test%s ran", tap->planned, tap->passed,
			  tap->passed == 1 ? "" : "s");
		return buf;
	}
	return NULL;
}
