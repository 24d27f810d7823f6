/* Guest RAM: every byte the Multiboot memory information reports (below
 * 1 MiB from address 0, above 1 MiB up to the last byte) holds what was
 * written, page 0 included, and a second virtual mapping sees the same. */
#include "guest.h"

#define HIGH_MEMORY 0x100000ull
#define ALIAS_VA 0x100000000ull /* first address above the identity map */

/* A value that differs for every address, so aliasing shows up. */
static u64 pattern(u64 addr, u64 salt)
{
	return (addr * 0x9E3779B97F4A7C15ull) ^ salt;
}

/* Writes the pattern over [start, end), then checks it; reports the first bad word. */
static bool pattern_holds(u64 start, u64 end, u64 salt)
{
	for (u64 a = start; a < end; a += 8)
		*(volatile u64 *)a = pattern(a, salt);
	for (u64 a = start; a < end; a += 8) {
		u64 got = *(volatile u64 *)a;
		if (got != pattern(a, salt)) {
			diag("at 0x%lx: read 0x%lx, wrote 0x%lx", a, got, pattern(a, salt));
			return false;
		}
	}
	return true;
}

static bool region_holds(u64 start, u64 end)
{
	diag("testing [0x%lx, 0x%lx)", start, end);
	return pattern_holds(start, end, 0x5A5AC3C3A5A53C3Cull) &&
	       pattern_holds(start, end, ~0x5A5AC3C3A5A53C3Cull);
}

static u32 checksum(const u8 *p, const u8 *end)
{
	u32 sum = 0;
	for (; p < end; p++)
		sum = (sum << 5) + sum + *p;
	return sum;
}

static bool alias_sees_same(u64 page)
{
	if (!paging_map_4k(ALIAS_VA, page, PTE_W)) {
		diag("cannot map the alias");
		return false;
	}
	volatile u64 *direct = (volatile u64 *)page, *alias = (volatile u64 *)ALIAS_VA;
	direct[0] = 0x1111222233334444ull;
	alias[511] = 0x5555666677778888ull;
	return alias[0] == 0x1111222233334444ull && direct[511] == 0x5555666677778888ull;
}

void test_main(void)
{
	plan(8);
	u32 image_sum = checksum((u8 *)__image_start, (u8 *)__rodata_end);
	const struct multiboot_info *mb = multiboot();
	if (!ok(mb && (mb->flags & MBI_FLAG_MEM), "Multiboot memory information present"))
		return;
	u64 low_end = mb->mem_lower * 1024ull, ram_end = HIGH_MEMORY + mb->mem_upper * 1024ull;
	char text[32];
	u64 configured = 0;
	if (!cmdline_arg("mem", text, sizeof(text)) || !parse_size(text, &configured))
		diag("no valid mem= on the command line \"%s\"", cmdline());
	/* Firmware may keep the top of RAM (SeaBIOS does): only ours reports all of it. */
	ok(ram_end <= configured, "1 MiB + mem_upper KiB is within the configured RAM size");
	ok_eq(ram_end, configured, "hv: 1 MiB + mem_upper KiB is the configured RAM size");

	ok(region_holds(0, low_end), "low memory [0, %lu KiB) holds two address patterns", low_end >> 10);
	u64 start = ALIGN_UP((u64)(unsigned long)__bss_end, PAGE_SIZE);
	ok(region_holds(start, ram_end), "RAM from the image end to the last byte holds two address patterns");

	volatile u8 *first = (volatile u8 *)0, *last = (volatile u8 *)(ram_end - 1);
	*first = 0xA5;
	*last = 0x5A;
	ok(*first == 0xA5 && *last == 0x5A, "byte 0 and the last byte of RAM (0x%lx) keep their values",
	   ram_end - 1);
	ok(alias_sees_same(ram_end - PAGE_SIZE), "a second mapping of the last RAM page sees the same data");
	ok_eq(checksum((u8 *)__image_start, (u8 *)__rodata_end), image_sum,
	      "the guest's own code and constants are unchanged");
}
