/* What a Multiboot (v1) loader hands over (GUEST-PLATFORM.md): magic, the
 * information block below 1 MiB but not in page 0, memory sizes, the command
 * line "name args", and the configured module (multiboot-module.txt), page
 * aligned as the header asks, in RAM and clear of the image, whose bss runs
 * to 12 MiB as many kernels' do (suite.cfg gives it 32 MiB). */
#include "guest.h"

#define MODULE_TEXT_MAX 256
#define BIG_BSS (12u << 20)

static u8 big_bss[BIG_BSS];

/* The loader zeroed all of it (every 64-bit word read). */
static void big_bss_zero(void)
{
	const u64 *w = (const u64 *)big_bss;
	u64 any = 0;
	for (u32 i = 0; i < BIG_BSS / 8; i++)
		any |= w[i];
	ok(!any, "a 12 MiB bss [0x%lx, 0x%lx) is loaded and zero", (unsigned long)big_bss,
	   (unsigned long)big_bss + BIG_BSS);
}

/* The VALUE of a "KEY=VALUE" line in text[0..len), copied to out. */
static bool line_value(const char *text, size_t len, const char *key, char *out, size_t size)
{
	size_t key_len = strlen(key);
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && text[end] != '\n')
			end++;
		if (end - i > key_len && !strncmp(text + i, key, key_len) && text[i + key_len] == '=') {
			size_t n = end - i - key_len - 1;
			if (n >= size)
				return false;
			memcpy(out, text + i + key_len + 1, n);
			out[n] = 0;
			return true;
		}
		i = end + 1;
	}
	return false;
}

static void check_module(const struct multiboot_module *m, u64 ram_end)
{
	u64 image_start = (unsigned long)__image_start, image_end = (unsigned long)__bss_end;
	diag("module [0x%x, 0x%x) \"%s\"", m->start, m->end, (const char *)(unsigned long)m->string);
	ok(!(m->start & (PAGE_SIZE - 1)), "the module is page aligned (header flag 0)");
	ok(m->start >= PAGE_SIZE && m->start < m->end && m->end <= ram_end &&
		   (m->end <= image_start || m->start >= image_end),
	   "the module lies in RAM, past page 0, clear of the image");

	char value[64];
	const char *text = (const char *)(unsigned long)m->start;
	size_t len = m->end - m->start;
	ok(len < MODULE_TEXT_MAX && line_value(text, len, "greeting", value, sizeof(value)) &&
		   !strncmp(value, "hello from a module", sizeof(value)),
	   "the module holds the file's text (greeting=...)");
	ok(line_value(text, len, "number", value, sizeof(value)) && !strncmp(value, "42", 3),
	   "the module holds the file's text (number=42)");
}

void test_main(void)
{
	plan(13);
	big_bss_zero();
	const struct multiboot_info *mb = multiboot();
	if (!ok(mb != NULL, "entered with the Multiboot magic and an information block"))
		return;
	u32 addr = multiboot_info_addr();
	ok(addr >= PAGE_SIZE && addr + sizeof(*mb) <= 0x100000, "the information block (0x%x) is below 1 MiB, not in page 0", addr);
	u32 want = MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS;
	ok_eq(mb->flags & want, want, "flags announce memory sizes, command line and modules");
	ok(mb->mem_lower > 0 && mb->mem_lower <= 640, "mem_lower is at most 640 KiB (%u)", mb->mem_lower);

	diag("command line \"%s\"", cmdline());
	ok(!strncmp(cmdline(), "multiboot ", 10), "hv: the command line starts with the VM name");
	char alpha[8], beta[8];
	ok(cmdline_arg("alpha", alpha, sizeof(alpha)) && !strncmp(alpha, "1", 2) &&
		   cmdline_arg("beta", beta, sizeof(beta)) && !strncmp(beta, "two", 4),
	   "the args follow the name (alpha=1 beta=two)");
	ok(!cmdline_arg("gamma", alpha, sizeof(alpha)), "an absent key is not found");

	u32 count;
	const struct multiboot_module *mods = multiboot_modules(&count);
	if (!ok_eq(count, 1, "one module, as configured")) {
		for (int i = 0; i < 4; i++)
			skip("no module", "module check");
		return;
	}
	check_module(&mods[0], 0x100000ull + mb->mem_upper * 1024ull);
}
