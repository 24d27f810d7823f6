/* The suite configuration (hv/runner/config.h), built on the key=value parser (hv/runner/cmdline.h). */
#include "hv/runner/config.h"
#include "hv/runner/cmdline.h"
#include "hv/console/printf.h"
#include "kstring.h"

/* In the order of enum guest_image_kind and enum guest_cpu_mode (hv/runner/guest_image.h). */
static const char *const kind_names[] = { "detect", "flat", "elf", "multiboot", "linux", NULL };
static const char *const mode_names[] = { "real", "prot32", "long64", NULL };
static const char *const off_on_names[] = { "off", "on", NULL }; /* index = the value */

static bool equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

static int parse_expect(void *ctx, const char *v, size_t len, char *err, size_t errlen)
{
	struct vm_config *cfg = ctx;
	u64 status;

	if (equals(v, len, "triple-fault")) {
		cfg->expect = EXPECT_TRIPLE_FAULT;
	} else if (equals(v, len, "halt")) {
		cfg->expect = EXPECT_HALT;
	} else if (equals(v, len, "reset")) {
		cfg->expect = EXPECT_RESET; /* the guest resets the machine (hv/devices/acpi_pm.h) */
	} else if (equals(v, len, "timeout")) {
		cfg->expect = EXPECT_TIMEOUT; /* a guest that must never end by itself (needs timeout_ms) */
	} else if (len > 5 && memcmp(v, "exit:", 5) == 0 && cmdline_parse_u64(v + 5, len - 5, &status) &&
		   status <= 0xffffffffu) {
		cfg->expect = EXPECT_EXIT;
		cfg->expect_status = (u32)status;
	} else {
		ksnprintf(err, errlen, "expected exit:N (N from 0 to 4294967295), triple-fault, halt, reset or timeout");
		return -1;
	}
	return 0;
}

static int add_module(void *ctx, const char *v, size_t len, char *err, size_t errlen)
{
	struct vm_config *cfg = ctx;

	if (cfg->nmodules == CONFIG_MAX_MODULES) {
		ksnprintf(err, errlen, "at most 4 modules per VM");
		return -1;
	}
	if (len == 0 || len >= BOOT_NAME_MAX) {
		ksnprintf(err, errlen, "expected a file name of 1 to 63 characters");
		return -1;
	}
	memcpy(cfg->modules[cfg->nmodules], v, len);
	cfg->modules[cfg->nmodules++][len] = '\0';
	return 0;
}

static bool name_ok(const char *name)
{
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return *name != '\0';
}

/* What only a whole line can tell: combinations of keys. NULL when fine. */
static const char *check_line(const struct vm_config *cfg, bool has_mode, bool has_load, bool has_entry,
			      const struct suite_config *suite)
{
	if (!name_ok(cfg->name))
		return "bad value for 'name': expected letters, digits, '-', '_' or '.'";
	for (u32 i = 0; i < suite->count; i++) {
		if (strcmp(suite->vms[i].name, cfg->name) == 0)
			return "a VM with this name is already listed";
	}
	if (cfg->mem & (PAGE_SIZE - 1))
		return "bad value for 'mem': expected a multiple of 4K";
	if (cfg->pool & (PAGE_SIZE - 1))
		return "bad value for 'pool': expected a multiple of 4K";
	if ((cfg->kind == GUEST_IMAGE_FLAT || has_mode || has_load) && (!has_mode || !has_load))
		return "a flat image needs mode= and load=";
	if ((cfg->kind == GUEST_IMAGE_ELF || cfg->kind == GUEST_IMAGE_MULTIBOOT || cfg->kind == GUEST_IMAGE_LINUX) &&
	    (has_mode || has_load || has_entry))
		return "mode=, load= and entry= are for flat images only";
	if (has_entry && !has_load)
		return "entry= needs load= (a flat image)";
	if (has_load && cfg->mode == GUEST_MODE_REAL && cfg->entry >= 0x100000)
		return "a real-mode entry must be below 1 MiB";
	if (has_load && cfg->mode != GUEST_MODE_LONG64 && cfg->entry > 0xffffffffu)
		return "a 16/32-bit entry must be below 4 GiB";
	if ((cfg->args[0] || cfg->nmodules) && (cfg->kind == GUEST_IMAGE_ELF || cfg->kind == GUEST_IMAGE_FLAT || has_load))
		return "args= and module= need a multiboot image (or args= a Linux kernel)";
	if (cfg->nmodules && cfg->kind == GUEST_IMAGE_LINUX)
		return "module= is for multiboot images: a Linux kernel takes initrd=";
	if (cfg->initrd[0] && cfg->kind != GUEST_IMAGE_LINUX && cfg->kind != GUEST_IMAGE_DETECT)
		return "initrd= needs a Linux kernel (kind=linux)";
	if (cfg->expect == EXPECT_TIMEOUT && !cfg->timeout_ms)
		return "expect=timeout needs a time limit (timeout_ms= above 0)";
	return NULL;
}

#define NOT_GIVEN (~0ull)

static int parse_line(const char *line, size_t len, struct vm_config *cfg,
		      const struct suite_config *suite, char *err, size_t errlen)
{
	u64 mem = 16ull << 20, cpus = 1, load = NOT_GIVEN, entry = NOT_GIVEN, timeout_ms = CONFIG_TIMEOUT_DEFAULT_MS;
	u64 pool = 0, nx_ratio = CONFIG_NX_DEFAULT, nx_period_ms = CONFIG_NX_DEFAULT;
	u32 kind = GUEST_IMAGE_DETECT, mode = ~0u, nx = CONFIG_NX_DEFAULT, testdev = 1;
	struct cmdline_key keys[] = {
		{ .name = "name", .type = CMDLINE_STRING, .dest = cfg->name, .size = sizeof(cfg->name), .flags = CMDLINE_REQUIRED },
		{ .name = "image", .type = CMDLINE_STRING, .dest = cfg->image, .size = sizeof(cfg->image), .flags = CMDLINE_REQUIRED },
		{ .name = "mem", .type = CMDLINE_SIZE, .dest = &mem, .min = CONFIG_MEM_MIN, .max = CONFIG_MEM_MAX },
		{ .name = "cpus", .type = CMDLINE_UINT, .dest = &cpus, .min = 1, .max = CONFIG_MAX_CPUS },
		{ .name = "timeout_ms", .type = CMDLINE_UINT, .dest = &timeout_ms, .min = 0, .max = 3600000 },
		{ .name = "kind", .type = CMDLINE_ENUM, .dest = &kind, .choices = kind_names },
		{ .name = "mode", .type = CMDLINE_ENUM, .dest = &mode, .choices = mode_names },
		{ .name = "load", .type = CMDLINE_UINT, .dest = &load, .min = 0, .max = CONFIG_ADDR_MAX },
		{ .name = "entry", .type = CMDLINE_UINT, .dest = &entry, .min = 0, .max = CONFIG_ADDR_MAX },
		{ .name = "args", .type = CMDLINE_STRING, .dest = cfg->args, .size = sizeof(cfg->args) },
		{ .name = "module", .type = CMDLINE_CALLBACK, .fn = add_module, .ctx = cfg },
		{ .name = "initrd", .type = CMDLINE_STRING, .dest = cfg->initrd, .size = sizeof(cfg->initrd) },
		{ .name = "console_input", .type = CMDLINE_ENUM, .dest = &cfg->console_input, .choices = off_on_names },
		{ .name = "expect", .type = CMDLINE_CALLBACK, .fn = parse_expect, .ctx = cfg, .flags = CMDLINE_REQUIRED },
		{ .name = "pool", .type = CMDLINE_SIZE, .dest = &pool, .min = 0, .max = CONFIG_POOL_MAX },
		{ .name = "nx_huge_pages", .type = CMDLINE_ENUM, .dest = &nx, .choices = off_on_names },
		{ .name = "nx_ratio", .type = CMDLINE_UINT, .dest = &nx_ratio, .min = 1, .max = 1000 },
		{ .name = "nx_period_ms", .type = CMDLINE_UINT, .dest = &nx_period_ms, .min = 1, .max = 3600000 },
		{ .name = "testdev", .type = CMDLINE_ENUM, .dest = &testdev, .choices = off_on_names },
	};

	if (cmdline_parse(line, len, keys, ARRAY_SIZE(keys), err, errlen))
		return -1;
	cfg->mem = mem;
	cfg->cpus = (u32)cpus;
	cfg->timeout_ms = (u32)timeout_ms;
	cfg->pool = pool;
	cfg->nx_huge_pages = nx;
	cfg->nx_ratio = (u32)nx_ratio;
	cfg->nx_period_ms = (u32)nx_period_ms;
	cfg->testdev = testdev;
	/* load= makes an image flat unless the kind says otherwise (then check_line refuses it). */
	cfg->kind = kind == GUEST_IMAGE_DETECT && load != NOT_GIVEN ? GUEST_IMAGE_FLAT : kind;
	cfg->mode = mode == ~0u ? GUEST_MODE_REAL : mode;
	cfg->load = load == NOT_GIVEN ? 0 : load;
	cfg->entry = entry == NOT_GIVEN ? cfg->load : entry;
	const char *why = check_line(cfg, mode != ~0u, load != NOT_GIVEN, entry != NOT_GIVEN, suite);
	if (why) {
		ksnprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

/* A line with nothing but blanks and maybe a comment. */
static bool blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '#')
			return true;
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	}
	return true;
}

int config_parse(const char *file, const char *text, size_t len, struct suite_config *out,
		 char *err, size_t errlen)
{
	struct line_iter it;
	const char *line;
	size_t n;
	char why[160];

	memset(out, 0, sizeof(*out));
	line_iter_init(&it, text, len);
	while (line_next(&it, &line, &n)) {
		if (blank(line, n))
			continue;
		if (out->count == CONFIG_MAX_VMS) {
			ksnprintf(err, errlen, "%s:%u: more than 32 VMs", file, it.lineno);
			return -1;
		}
		struct vm_config *cfg = &out->vms[out->count];
		memset(cfg, 0, sizeof(*cfg));
		if (parse_line(line, n, cfg, out, why, sizeof(why))) {
			ksnprintf(err, errlen, "%s:%u: %s", file, it.lineno, why);
			return -1;
		}
		out->count++;
	}
	if (out->count == 0) {
		ksnprintf(err, errlen, "%s: no VM listed", file);
		return -1;
	}
	return 0;
}

void config_expect_str(const struct vm_config *cfg, char *buf, size_t len)
{
	if (cfg->expect == EXPECT_EXIT)
		ksnprintf(buf, len, "exit:%u", cfg->expect_status);
	else if (cfg->expect == EXPECT_HALT)
		ksnprintf(buf, len, "halt");
	else if (cfg->expect == EXPECT_TIMEOUT)
		ksnprintf(buf, len, "timeout");
	else if (cfg->expect == EXPECT_RESET)
		ksnprintf(buf, len, "reset");
	else
		ksnprintf(buf, len, "triple-fault");
}
