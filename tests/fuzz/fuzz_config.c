/*
 * libFuzzer target: the suite configuration and command-line parsers
 * (hv/runner/config.c, cmdline.c, keyval.c) on arbitrary text, under
 * ASan/UBSan: they either accept it or name the problem, and never read or
 * write outside their buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "hv/runner/config.h"
#include "hv/runner/cmdline.h"

static struct suite_config cfg;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char err[256];

	err[0] = '\0';
	if (config_parse("fuzz.cfg", (const char *)data, size, &cfg, err, sizeof(err)) != 0 && !err[0])
		abort(); /* a refusal always says why */
	u64 v;
	cmdline_parse_size((const char *)data, size, &v);
	cmdline_parse_u64((const char *)data, size, &v);
	return 0;
}
