/*
 * The syntax shared by the hypervisor command line and the suite config file:
 * words separated by blanks, each `key=value`; a value may be double-quoted
 * to hold blanks (no escapes: it ends at the next quote); a word starting
 * with `#` comments out the rest of the text. The text is never modified:
 * keys and values point into it.
 */
#ifndef HV_KEYVAL_H
#define HV_KEYVAL_H

#include "types.h"

struct keyval {
	const char *key;
	size_t key_len;
	const char *value; /* without the quotes */
	size_t value_len;
	size_t column;     /* 1-based position of the word in its text */
};

struct keyval_iter {
	const char *start, *p, *end;
};

void keyval_init(struct keyval_iter *it, const char *text, size_t len);

/*
 * The next key=value word: returns 1 and fills *kv, 0 at the end of the
 * text (or of a comment), -1 on a syntax error with a message in err
 * naming the column ("column 7: expected key=value, found 'foo'").
 */
int keyval_next(struct keyval_iter *it, struct keyval *kv, char *err, size_t errlen);

/* True when kv's key is exactly name. */
bool keyval_key_is(const struct keyval *kv, const char *name);

/* Lines of a text file ('\n' separated, a trailing '\r' dropped). */
struct line_iter {
	const char *p, *end;
	u32 lineno; /* of the line last returned, 1-based */
};

void line_iter_init(struct line_iter *it, const char *text, size_t len);
bool line_next(struct line_iter *it, const char **line, size_t *len);

#endif
