/*
 * Table-driven parsing of key=value text (syntax: hv/runner/keyval.h). A caller
 * describes its keys once, each with a type and a destination; parsing
 * stores every value or stops at the first error with a message that names
 * the key and what was expected, e.g.
 *   unknown key 'bogus'
 *   bad value 'x' for 'nx_ratio': expected a number from 1 to 1000
 * Used for the hypervisor command line and, one line at a time, for the
 * suite config file.
 */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include "hv/runner/keyval.h"
#include "types.h"

enum cmdline_type {
	CMDLINE_BOOL,     /* on | off               -> bool */
	CMDLINE_UINT,     /* decimal or 0x hex       -> u64, within [min, max] */
	CMDLINE_SIZE,     /* number + K/M/G suffix   -> u64 bytes, within [min, max] */
	CMDLINE_ENUM,     /* one of choices[]        -> u32 index into choices */
	CMDLINE_STRING,   /* any text                -> char[size], NUL-terminated */
	CMDLINE_CALLBACK, /* handed to fn; the only kind that may repeat */
};

enum cmdline_flags {
	CMDLINE_REQUIRED = 1 << 0, /* missing key is an error */
};

/*
 * Checks and stores one value; returns 0, or -1 with a message in err saying
 * what was wrong (the parser prefixes "bad value 'V' for 'KEY': ").
 */
typedef int (*cmdline_fn)(void *ctx, const char *value, size_t len, char *err, size_t errlen);

struct cmdline_key {
	const char *name;
	enum cmdline_type type;
	void *dest;                 /* bool / u64 / u32 / char[] as the type says */
	u64 min, max;               /* UINT, SIZE: inclusive range */
	const char *const *choices; /* ENUM: names, ending with NULL */
	size_t size;                /* STRING: bytes in dest, including the NUL */
	cmdline_fn fn;              /* CALLBACK */
	void *ctx;                  /* CALLBACK: passed to fn */
	u32 flags;                  /* enum cmdline_flags */
};

#define CMDLINE_MAX_KEYS 64 /* per table: the parser tracks which keys it saw */

/*
 * Parses text[0..len) against keys[0..nkeys): each key at most once (but
 * CALLBACK keys), every CMDLINE_REQUIRED key present. Returns 0, or -1 with
 * the first error in err; values stored before the error stay stored.
 */
int cmdline_parse(const char *text, size_t len, const struct cmdline_key *keys, u32 nkeys,
		  char *err, size_t errlen);

/* Stores one already tokenized pair (for callers that walk keyval_next themselves). */
int cmdline_apply(const struct keyval *kv, const struct cmdline_key *keys, u32 nkeys,
		  char *err, size_t errlen);

/* Reads a size with an optional K/M/G suffix (binary units); false if it is not one. */
bool cmdline_parse_size(const char *s, size_t len, u64 *out);

/* Reads a decimal or 0x-prefixed hexadecimal number; false if it is not one or overflows. */
bool cmdline_parse_u64(const char *s, size_t len, u64 *out);

#endif
