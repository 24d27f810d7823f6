/* The hypercall ABI (include/hypercall.h): every call, its error codes for
 * bad arguments, both instructions, preserved registers, and HC_EXIT, which
 * ends this guest with its TAP status. */
#include "guest.h"

#define BAD_CALL 0xDEAD
#define WRAPPING_GPA 0xFFFFFFFFFFFFFFF0ull

static const char line[] = "# a line written by HC_CONSOLE_WRITE\n";
static char too_long[HC_CONSOLE_MAX + 1];
static unsigned long calls; /* hypercalls made so far, for the statistics */

static long call(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long *rbx_out)
{
	calls++;
	return hcall(nr, a1, a2, 0, 0, rbx_out);
}

static bool expect_rc(long rc, long want)
{
	if (rc != want)
		diag("returned %ld, want %ld", rc, want);
	return rc == want;
}

/* First byte past the RAM above 1 MiB, from the Multiboot memory info. */
static u64 ram_end(void)
{
	const struct multiboot_info *mb = multiboot();
	return mb && (mb->flags & MBI_FLAG_MEM) ? 0x100000ull + mb->mem_upper * 1024ull : 0;
}

static bool version(void)
{
	unsigned long v = 0;
	long rc = call(HC_VERSION, 0, 0, &v);
	if (v != HC_ABI_VERSION)
		diag("RBX = 0x%lx, want 0x%x", v, HC_ABI_VERSION);
	return expect_rc(rc, HC_OK) && v == HC_ABI_VERSION;
}

static bool console_line(void)
{
	return expect_rc(call(HC_CONSOLE_WRITE, (unsigned long)line, sizeof(line) - 1, NULL), HC_OK);
}

static bool console_empty(void)
{
	return expect_rc(call(HC_CONSOLE_WRITE, (unsigned long)line, 0, NULL), HC_OK);
}

static bool console_too_long(void)
{
	for (size_t i = 0; i < sizeof(too_long); i++) /* were it printed: TAP comments */
		too_long[i] = i % 64 == 63 ? '\n' : '#';
	return expect_rc(call(HC_CONSOLE_WRITE, (unsigned long)too_long, sizeof(too_long), NULL),
			 HC_ELENGTH);
}

static bool console_past_ram(void)
{
	if (!ram_end()) {
		diag("no Multiboot memory information");
		return false;
	}
	return expect_rc(call(HC_CONSOLE_WRITE, ram_end() - 8, 16, NULL), HC_EFAULT);
}

static bool console_device_hole(void)
{
	return expect_rc(call(HC_CONSOLE_WRITE, TESTDEV_BASE, 4, NULL), HC_EFAULT);
}

static bool console_wrapping(void)
{
	return expect_rc(call(HC_CONSOLE_WRITE, WRAPPING_GPA, 0x20, NULL), HC_EFAULT);
}

static bool unknown_call(void)
{
	return expect_rc(call(BAD_CALL, 0, 0, NULL), HC_ENOSYS);
}

static bool stats_filled(void)
{
	struct hc_stats s;
	memset(&s, 0xFF, sizeof(s));
	long rc = call(HC_READ_STATS, (unsigned long)&s, sizeof(s), NULL);
	diag("size %u vcpus %u exits %lu hypercall %lu io %lu", s.size, s.vcpus, s.exits,
	     s.exits_hypercall, s.exits_io);
	return expect_rc(rc, HC_OK) && s.size >= HC_STATS_MIN_SIZE && s.vcpus == 1 &&
	       s.exits_hypercall >= calls && s.exits >= s.exits_hypercall + s.exits_io && s.exits_io > 0;
}

static bool stats_too_small(void)
{
	struct hc_stats s;
	memset(&s, 0xAB, sizeof(s));
	long rc = call(HC_READ_STATS, (unsigned long)&s, HC_STATS_MIN_SIZE - 1, NULL);
	bool untouched = s.size == 0xABABABAB;
	if (!untouched)
		diag("the buffer was written");
	return expect_rc(rc, HC_ELENGTH) && untouched;
}

static bool stats_device_hole(void)
{
	return expect_rc(call(HC_READ_STATS, TESTDEV_BASE, sizeof(struct hc_stats), NULL), HC_EFAULT);
}

static void other_insn(void *result)
{
	enum hc_insn other = cpu_is_amd() ? HC_INSN_VMCALL : HC_INSN_VMMCALL;
	unsigned long v = 0;
	calls++;
	*(bool *)result = expect_rc(hcall_insn(other, HC_VERSION, 0, 0, 0, 0, &v), HC_OK) &&
			  v == HC_ABI_VERSION;
}

static bool other_vendor_insn(void)
{
	bool good = false;
	int vector = catch_exception(other_insn, &good);
	if (vector >= 0)
		diag("raised %s", exception_name(vector));
	return vector < 0 && good;
}

#define REG(name, value) register unsigned long name __asm__(#name) = value
static bool registers_preserved(void)
{
	/* Called before the register variables: a call would clobber r8-r11 after them. */
	bool amd = cpu_is_amd();
	unsigned long ax = HC_VERSION, bx = 0, cx = 0xC1, dx = 0xD1, si = 0x51, di = 0xD2;
	REG(r8, 0x108); REG(r9, 0x109); REG(r10, 0x110); REG(r11, 0x111);
	REG(r12, 0x112); REG(r13, 0x113); REG(r14, 0x114); REG(r15, 0x115);
	calls++;
	if (amd)
		__asm__ volatile("vmmcall" : "+a"(ax), "+b"(bx), "+c"(cx), "+d"(dx), "+S"(si), "+D"(di),
				 "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13),
				 "+r"(r14), "+r"(r15)::"memory");
	else
		__asm__ volatile("vmcall" : "+a"(ax), "+b"(bx), "+c"(cx), "+d"(dx), "+S"(si), "+D"(di),
				 "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13),
				 "+r"(r14), "+r"(r15)::"memory");
	bool same = cx == 0xC1 && dx == 0xD1 && si == 0x51 && di == 0xD2 && r8 == 0x108 &&
		    r9 == 0x109 && r10 == 0x110 && r11 == 0x111 && r12 == 0x112 && r13 == 0x113 &&
		    r14 == 0x114 && r15 == 0x115;
	return expect_rc((long)ax, HC_OK) && same;
}

static long user_rc;
static u16 user_cs;

/* Runs at CPL 3: a hypercall, then HLT, whose #GP brings us back. */
static void user_hypercall(void)
{
	__asm__ volatile("mov %%cs, %0" : "=r"(user_cs));
	user_rc = hcall(HC_VERSION, 0, 0, 0, 0, NULL);
	__asm__ volatile("hlt");
}

static bool refused_from_user_mode(void)
{
	user_rc = 1;
	int vector = run_in_user_mode(user_hypercall);
	if (vector != EXC_GP)
		diag("user mode ended with %s", vector < 0 ? "no exception" : exception_name(vector));
	return vector == EXC_GP && (user_cs & 3) == 3 && expect_rc(user_rc, HC_EPERM);
}

static const struct {
	bool (*run)(void);
	const char *name;
} tests[] = {
	{ version, "HC_VERSION returns 0 and RBX = HC_ABI_VERSION" },
	{ console_line, "HC_CONSOLE_WRITE of a line returns 0" },
	{ console_empty, "HC_CONSOLE_WRITE of length 0 returns 0" },
	{ console_too_long, "HC_CONSOLE_WRITE of HC_CONSOLE_MAX + 1 bytes returns HC_ELENGTH" },
	{ console_past_ram, "HC_CONSOLE_WRITE of a buffer crossing the end of RAM returns HC_EFAULT" },
	{ console_device_hole, "HC_CONSOLE_WRITE from the device hole returns HC_EFAULT" },
	{ console_wrapping, "HC_CONSOLE_WRITE of a wrapping buffer returns HC_EFAULT" },
	{ unknown_call, "an unknown call number returns HC_ENOSYS" },
	{ stats_filled, "HC_READ_STATS fills the header and counters" },
	{ stats_too_small, "HC_READ_STATS below HC_STATS_MIN_SIZE returns HC_ELENGTH, writes nothing" },
	{ stats_device_hole, "HC_READ_STATS into the device hole returns HC_EFAULT" },
	{ other_vendor_insn, "the other vendor's instruction (VMCALL/VMMCALL) works too" },
	{ registers_preserved, "RCX, RDX, RSI, RDI, R8-R15 are preserved" },
	{ refused_from_user_mode, "a call from CPL 3 returns HC_EPERM" },
};

void test_main(void)
{
	plan(1 + ARRAY_SIZE(tests));
	bool available = hcall_available();
	calls++;
	ok(available, "hv: the hypercall instruction (%s) is handled", cpu_is_amd() ? "VMMCALL" : "VMCALL");
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++)
		ok(available && tests[i].run(), "hv: %s", tests[i].name);
	if (!available)
		return;
	u32 status = tap_status();
	diag("ending through HC_EXIT with status %u", status);
	long rc = hcall(HC_EXIT, status, 0, 0, 0, NULL);
	bail_out("hv: HC_EXIT returned %ld", rc);
}
