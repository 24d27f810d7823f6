#include "multiboot.h"
#include "gstring.h"

#define CMDLINE_MAX 256

static struct multiboot_info info_copy;
static u32 info_addr;
static char cmdline_copy[CMDLINE_MAX];

void multiboot_init(u32 magic, u32 info)
{
	if (magic != MULTIBOOT_LOADER_MAGIC || !info)
		return;
	info_copy = *(const struct multiboot_info *)(unsigned long)info;
	info_addr = info;
	if (info_copy.flags & MBI_FLAG_CMDLINE) {
		const char *s = (const char *)(unsigned long)info_copy.cmdline;
		size_t n = strlen(s);
		if (n >= CMDLINE_MAX)
			n = CMDLINE_MAX - 1; /* a longer line is cut, not overrun */
		memcpy(cmdline_copy, s, n);
	}
}

const struct multiboot_info *multiboot(void)
{
	return info_addr ? &info_copy : NULL;
}

u32 multiboot_info_addr(void)
{
	return info_addr;
}

const struct multiboot_module *multiboot_modules(u32 *count)
{
	bool have = info_addr && (info_copy.flags & MBI_FLAG_MODS) && info_copy.mods_count;
	*count = have ? info_copy.mods_count : 0;
	return have ? (const struct multiboot_module *)(unsigned long)info_copy.mods_addr : NULL;
}

const char *cmdline(void)
{
	return cmdline_copy;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

bool cmdline_arg(const char *key, char *value, size_t size)
{
	size_t key_len = strlen(key);
	const char *p = cmdline_copy;
	while (*p && !is_space(*p)) /* skip the image name */
		p++;
	while (*p) {
		while (is_space(*p))
			p++;
		const char *word = p;
		while (*p && !is_space(*p))
			p++;
		if ((size_t)(p - word) > key_len && !strncmp(word, key, key_len) && word[key_len] == '=') {
			size_t n = (size_t)(p - word) - key_len - 1;
			if (n >= size)
				return false;
			memcpy(value, word + key_len + 1, n);
			value[n] = 0;
			return true;
		}
	}
	return false;
}

u64 cmdline_number(const char *key, u64 fallback)
{
	char text[24];
	u64 v;
	return cmdline_arg(key, text, sizeof(text)) && parse_size(text, &v) ? v : fallback;
}

bool parse_size(const char *s, u64 *out)
{
	u64 v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (u64)(*s - '0');
	switch (*s) {
	case 'K': v <<= 10; s++; break;
	case 'M': v <<= 20; s++; break;
	case 'G': v <<= 30; s++; break;
	}
	if (*s)
		return false;
	*out = v;
	return true;
}
