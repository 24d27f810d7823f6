/* Typed key tables over the keyval tokenizer; see cmdline.h for the contract. */
#include "hv/runner/cmdline.h"
#include "kstring.h"
#include "hv/console/printf.h"

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
static void put_size(char *err, size_t errlen, u64 bytes)
{
	static const char *const units[] = { "", "K", "M", "G", "T" };
	int u = 0;
	while (u < 4 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	kappendf(err, errlen, "%lu%s", bytes, units[u]);
}

/* --- storing one typed value --- */

/* What a key of this type accepts, for "bad value" messages. */
static void put_expected(char *err, size_t errlen, const struct cmdline_key *k)
{
	switch (k->type) {
	case CMDLINE_BOOL:
		kappendf(err, errlen, "expected on or off");
		break;
	case CMDLINE_UINT:
		kappendf(err, errlen, "expected a number from %lu to %lu", k->min, k->max);
		break;
	case CMDLINE_SIZE:
		kappendf(err, errlen, "expected a size from ");
		put_size(err, errlen, k->min);
		kappendf(err, errlen, " to ");
		put_size(err, errlen, k->max);
		kappendf(err, errlen, " (a number with an optional K, M, G or T suffix)");
		break;
	case CMDLINE_ENUM:
		kappendf(err, errlen, "expected one of ");
		for (u32 i = 0; k->choices[i]; i++)
			kappendf(err, errlen, "%s%s", i ? ", " : "", k->choices[i]);
		break;
	case CMDLINE_STRING:
		kappendf(err, errlen, "expected at most %zu characters", k->size - 1);
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

/* No error: an empty message, as the contract promises on success. */
static void clear_error(char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
}

int cmdline_apply(const struct keyval *kv, const struct cmdline_key *keys, u32 nkeys,
		  char *err, size_t errlen)
{
	const struct cmdline_key *k = find_key(kv, keys, nkeys);

	if (!k) {
		ksnprintf(err, errlen, "unknown key '%.*s'", (int)kv->key_len, kv->key);
		return -1;
	}
	/* The prefix of any error below; a callback appends its reason after it. */
	ksnprintf(err, errlen, "bad value '%.*s' for '%.*s': ", (int)kv->value_len, kv->value,
		  (int)kv->key_len, kv->key);
	if (k->type == CMDLINE_CALLBACK) {
		size_t used = errlen ? strlen(err) : 0;
		if (k->fn(k->ctx, kv->value, kv->value_len, errlen ? err + used : NULL, errlen - used))
			return -1;
	} else if (!store_value(k, kv->value, kv->value_len)) {
		put_expected(err, errlen, k);
		return -1;
	}
	clear_error(err, errlen);
	return 0;
}

/* --- whole texts --- */

static int check_required(const struct cmdline_key *keys, u32 nkeys, u64 seen, char *err,
			  size_t errlen)
{
	for (u32 i = 0; i < nkeys; i++) {
		if ((keys[i].flags & CMDLINE_REQUIRED) && !(seen >> i & 1)) {
			ksnprintf(err, errlen, "missing key '%s'", keys[i].name);
			return -1;
		}
	}
	return 0;
}

int cmdline_parse(const char *text, size_t len, const struct cmdline_key *keys, u32 nkeys,
		  char *err, size_t errlen)
{
	struct keyval_iter it;
	struct keyval kv;
	u64 seen = 0;
	int r;

	clear_error(err, errlen);
	if (nkeys > CMDLINE_MAX_KEYS) {
		ksnprintf(err, errlen, "key table too large");
		return -1;
	}
	keyval_init(&it, text, len);
	while ((r = keyval_next(&it, &kv, err, errlen)) == 1) {
		const struct cmdline_key *k = find_key(&kv, keys, nkeys);
		u64 bit = k ? 1ull << (k - keys) : 0;
		if (k && k->type != CMDLINE_CALLBACK && (seen & bit)) {
			ksnprintf(err, errlen, "key '%s' given twice", k->name);
			return -1;
		}
		if (cmdline_apply(&kv, keys, nkeys, err, errlen))
			return -1;
		seen |= bit;
	}
	if (r < 0)
		return -1;
	return check_required(keys, nkeys, seen, err, errlen);
}
