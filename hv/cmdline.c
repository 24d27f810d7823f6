/* Typed key tables over the keyval tokenizer; see cmdline.h for the contract. */
#include "hv/cmdline.h"
#include "kstring.h"
#include "strbuf.h"

/* --- numbers --- */

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

bool cmdline_parse_u64(const char *s, size_t len, u64 *out)
{
	u64 base = 10, v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		u64 d = (u64)digit_value(s[i]);
		if (d >= base || v > (~0ull - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static u64 suffix_shift(char c)
{
	switch (c) {
	case 'K': case 'k': return 10;
	case 'M': case 'm': return 20;
	case 'G': case 'g': return 30;
	case 'T': case 't': return 40;
	default: return 0;
	}
}

bool cmdline_parse_size(const char *s, size_t len, u64 *out)
{
	u64 shift = len ? suffix_shift(s[len - 1]) : 0, v;

	if (shift)
		len--;
	if (!cmdline_parse_u64(s, len, &v) || (shift && v > (~0ull >> shift)))
		return false;
	*out = v << shift;
	return true;
}

/* A size in the largest unit that divides it exactly: "64G", "1M", "4095". */
static void put_size(struct strbuf *sb, u64 bytes)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (u < 3 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	sb_putu(sb, bytes);
	if (u >= 0)
		sb_putc(sb, units[u]);
}

/* --- storing one typed value --- */

/* What a key of this type accepts, for "bad value" messages. */
static void put_expected(struct strbuf *sb, const struct cmdline_key *k)
{
	switch (k->type) {
	case CMDLINE_BOOL:
		sb_puts(sb, "expected on or off");
		break;
	case CMDLINE_UINT:
		sb_puts(sb, "expected a number from ");
		sb_putu(sb, k->min);
		sb_puts(sb, " to ");
		sb_putu(sb, k->max);
		break;
	case CMDLINE_SIZE:
		sb_puts(sb, "expected a size from ");
		put_size(sb, k->min);
		sb_puts(sb, " to ");
		put_size(sb, k->max);
		sb_puts(sb, " (a number with an optional K, M, G or T suffix)");
		break;
	case CMDLINE_ENUM:
		sb_puts(sb, "expected one of ");
		for (u32 i = 0; k->choices[i]; i++) {
			sb_puts(sb, i ? ", " : "");
			sb_puts(sb, k->choices[i]);
		}
		break;
	case CMDLINE_STRING:
		sb_puts(sb, "expected at most ");
		sb_putu(sb, k->size - 1);
		sb_puts(sb, " characters");
		break;
	case CMDLINE_CALLBACK:
		break;
	}
}

static bool equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

static bool store_enum(const struct cmdline_key *k, const char *v, size_t len)
{
	for (u32 i = 0; k->choices[i]; i++) {
		if (equals(v, len, k->choices[i])) {
			*(u32 *)k->dest = i;
			return true;
		}
	}
	return false;
}

/* Stores v into k's destination; false when v is not acceptable. */
static bool store_value(const struct cmdline_key *k, const char *v, size_t len)
{
	u64 n;

	switch (k->type) {
	case CMDLINE_BOOL:
		if (!equals(v, len, "on") && !equals(v, len, "off"))
			return false;
		*(bool *)k->dest = equals(v, len, "on");
		return true;
	case CMDLINE_UINT:
	case CMDLINE_SIZE:
		if (k->type == CMDLINE_UINT ? !cmdline_parse_u64(v, len, &n)
					    : !cmdline_parse_size(v, len, &n))
			return false;
		if (n < k->min || n > k->max)
			return false;
		*(u64 *)k->dest = n;
		return true;
	case CMDLINE_ENUM:
		return store_enum(k, v, len);
	case CMDLINE_STRING:
		if (len >= k->size)
			return false;
		memcpy(k->dest, v, len);
		((char *)k->dest)[len] = '\0';
		return true;
	case CMDLINE_CALLBACK:
		break;
	}
	return false;
}

static const struct cmdline_key *find_key(const struct keyval *kv,
					  const struct cmdline_key *keys, u32 nkeys)
{
	for (u32 i = 0; i < nkeys; i++)
		if (keyval_key_is(kv, keys[i].name))
			return &keys[i];
	return NULL;
}

static void put_bad_value(struct strbuf *sb, const struct keyval *kv)
{
	sb_puts(sb, "bad value '");
	sb_putn(sb, kv->value, kv->value_len);
	sb_puts(sb, "' for '");
	sb_putn(sb, kv->key, kv->key_len);
	sb_puts(sb, "': ");
}

int cmdline_apply(const struct keyval *kv, const struct cmdline_key *keys, u32 nkeys,
		  char *errbuf, size_t errlen)
{
	const struct cmdline_key *k = find_key(kv, keys, nkeys);
	struct strbuf err;

	sb_init(&err, errbuf, errlen);
	if (!k) {
		sb_puts(&err, "unknown key '");
		sb_putn(&err, kv->key, kv->key_len);
		sb_putc(&err, '\'');
		return -1;
	}
	put_bad_value(&err, kv); /* the prefix of any error below */
	if (k->type == CMDLINE_CALLBACK) {
		if (k->fn(k->ctx, kv->value, kv->value_len, err.cap ? err.buf + err.len : NULL,
			  err.cap - err.len))
			return -1;
	} else if (!store_value(k, kv->value, kv->value_len)) {
		put_expected(&err, k);
		return -1;
	}
	sb_init(&err, errbuf, errlen);
	return 0;
}

/* --- whole texts --- */

static int check_required(const struct cmdline_key *keys, u32 nkeys, u64 seen, struct strbuf *err)
{
	for (u32 i = 0; i < nkeys; i++) {
		if ((keys[i].flags & CMDLINE_REQUIRED) && !(seen >> i & 1)) {
			sb_puts(err, "missing key '");
			sb_puts(err, keys[i].name);
			sb_putc(err, '\'');
			return -1;
		}
	}
	return 0;
}

int cmdline_parse(const char *text, size_t len, const struct cmdline_key *keys, u32 nkeys,
		  char *errbuf, size_t errlen)
{
	struct keyval_iter it;
	struct keyval kv;
	struct strbuf err;
	u64 seen = 0;
	int r;

	sb_init(&err, errbuf, errlen);
	if (nkeys > CMDLINE_MAX_KEYS) {
		sb_puts(&err, "key table too large");
		return -1;
	}
	keyval_init(&it, text, len);
	while ((r = keyval_next(&it, &kv, errbuf, errlen)) == 1) {
		const struct cmdline_key *k = find_key(&kv, keys, nkeys);
		u64 bit = k ? 1ull << (k - keys) : 0;
		if (k && k->type != CMDLINE_CALLBACK && (seen & bit)) {
			sb_puts(&err, "key '");
			sb_puts(&err, k->name);
			sb_puts(&err, "' given twice");
			return -1;
		}
		if (cmdline_apply(&kv, keys, nkeys, errbuf, errlen))
			return -1;
		seen |= bit;
	}
	if (r < 0)
		return -1;
	return check_required(keys, nkeys, seen, &err);
}
