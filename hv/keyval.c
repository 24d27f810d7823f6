/* Tokenizer for key=value words and for lines; the grammar is in keyval.h. */
#include "hv/keyval.h"
#include "kstring.h"
#include "strbuf.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void keyval_init(struct keyval_iter *it, const char *text, size_t len)
{
	it->start = it->p = text;
	it->end = text + len;
}

static void error_at(struct strbuf *sb, const struct keyval_iter *it, const char *at)
{
	sb_puts(sb, "column ");
	sb_putu(sb, (u64)(at - it->start) + 1);
	sb_puts(sb, ": ");
}

/* The rest of the word starting at p, quoted for an error message. */
static void put_word(struct strbuf *sb, const struct keyval_iter *it, const char *p)
{
	const char *e = p;
	while (e < it->end && !is_blank(*e))
		e++;
	sb_putc(sb, '\'');
	sb_putn(sb, p, (size_t)(e - p));
	sb_putc(sb, '\'');
}

/* Reads a quoted value after its opening quote; returns the end of the word or NULL. */
static const char *read_quoted(struct keyval_iter *it, struct keyval *kv, const char *q,
			       struct strbuf *err)
{
	const char *close = q + 1;
	while (close < it->end && *close != '"')
		close++;
	if (close == it->end) {
		error_at(err, it, q);
		sb_puts(err, "missing closing quote in the value of '");
		sb_putn(err, kv->key, kv->key_len);
		sb_putc(err, '\'');
		return NULL;
	}
	kv->value = q + 1;
	kv->value_len = (size_t)(close - q - 1);
	if (close + 1 < it->end && !is_blank(close[1])) {
		error_at(err, it, close + 1);
		sb_puts(err, "expected a blank after the closing quote of '");
		sb_putn(err, kv->key, kv->key_len);
		sb_putc(err, '\'');
		return NULL;
	}
	return close + 1;
}

int keyval_next(struct keyval_iter *it, struct keyval *kv, char *errbuf, size_t errlen)
{
	struct strbuf err;
	const char *p = it->p, *eq;

	sb_init(&err, errbuf, errlen);
	while (p < it->end && is_blank(*p))
		p++;
	if (p == it->end || *p == '#') {
		it->p = it->end;
		return 0;
	}
	for (eq = p; eq < it->end && !is_blank(*eq) && *eq != '='; eq++)
		;
	if (eq == it->end || *eq != '=' || eq == p) {
		error_at(&err, it, p);
		sb_puts(&err, "expected key=value, found ");
		put_word(&err, it, p);
		return -1;
	}
	*kv = (struct keyval){ .key = p, .key_len = (size_t)(eq - p),
			       .column = (size_t)(p - it->start) + 1 };
	if (eq + 1 < it->end && eq[1] == '"') {
		p = read_quoted(it, kv, eq + 1, &err);
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
