/* Tokenizer for key=value words and for lines; the grammar is in keyval.h. */
#include "hv/runner/keyval.h"
#include "kstring.h"
#include "hv/console/printf.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void keyval_init(struct keyval_iter *it, const char *text, size_t len)
{
	it->start = it->p = text;
	it->end = text + len;
}

/* The 1-based column of at, which error messages start with. */
static unsigned long column(const struct keyval_iter *it, const char *at)
{
	return (unsigned long)(at - it->start) + 1;
}

/* The length of the word starting at p, quoted in error messages. */
static int word_len(const struct keyval_iter *it, const char *p)
{
	const char *e = p;
	while (e < it->end && !is_blank(*e))
		e++;
	return (int)(e - p);
}

/* Reads a quoted value after its opening quote; returns the end of the word or NULL. */
static const char *read_quoted(struct keyval_iter *it, struct keyval *kv, const char *q,
			       char *err, size_t errlen)
{
	const char *close = q + 1;
	while (close < it->end && *close != '"')
		close++;
	if (close == it->end) {
		ksnprintf(err, errlen, "column %lu: missing closing quote in the value of '%.*s'",
			  column(it, q), (int)kv->key_len, kv->key);
		return NULL;
	}
	kv->value = q + 1;
	kv->value_len = (size_t)(close - q - 1);
	if (close + 1 < it->end && !is_blank(close[1])) {
		ksnprintf(err, errlen, "column %lu: expected a blank after the closing quote of '%.*s'",
			  column(it, close + 1), (int)kv->key_len, kv->key);
		return NULL;
	}
	return close + 1;
}

int keyval_next(struct keyval_iter *it, struct keyval *kv, char *err, size_t errlen)
{
	const char *p = it->p, *eq;

	while (p < it->end && is_blank(*p))
		p++;
	if (p == it->end || *p == '#') {
		it->p = it->end;
		return 0;
	}
	for (eq = p; eq < it->end && !is_blank(*eq) && *eq != '='; eq++)
		;
	if (eq == it->end || *eq != '=' || eq == p) {
		ksnprintf(err, errlen, "column %lu: expected key=value, found '%.*s'", column(it, p),
			  word_len(it, p), p);
		return -1;
	}
	*kv = (struct keyval){ .key = p, .key_len = (size_t)(eq - p),
			       .column = column(it, p) };
	if (eq + 1 < it->end && eq[1] == '"') {
		p = read_quoted(it, kv, eq + 1, err, errlen);
		if (!p)
			return -1;
	} else {
		kv->value = p = eq + 1;
		while (p < it->end && !is_blank(*p))
			p++;
		kv->value_len = (size_t)(p - kv->value);
	}
	it->p = p;
	return 1;
}

bool keyval_key_is(const struct keyval *kv, const char *name)
{
	return strlen(name) == kv->key_len && memcmp(kv->key, name, kv->key_len) == 0;
}

void line_iter_init(struct line_iter *it, const char *text, size_t len)
{
	it->p = text;
	it->end = text + len;
	it->lineno = 0;
}

bool line_next(struct line_iter *it, const char **line, size_t *len)
{
	const char *e = it->p;

	if (it->p >= it->end)
		return false;
	while (e < it->end && *e != '\n')
		e++;
	*line = it->p;
	*len = (size_t)(e - it->p);
	if (*len && e[-1] == '\r')
		(*len)--;
	it->p = e < it->end ? e + 1 : e;
	it->lineno++;
	return true;
}
