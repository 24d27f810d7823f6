/* The suite configuration: every key, the defaults, and a precise error for each bad input. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/runner/config.h"

static struct suite_config suite;
static char err[200];

static int parse(const char *text)
{
	return config_parse("suite.cfg", text, strlen(text), &suite, err, sizeof(err));
}

static void expect_error(const char *text, const char *message)
{
	if (parse(text) != -1)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, message);
}

static void test_full_line(void **state)
{
	assert_int_equal(parse("# comment\n\n"
			       "name=hello image=hello.elf mem=32M cpus=1 kind=multiboot "
			       "args=\"a b\" module=env.txt module=x.txt expect=exit:3\n"
			       "name=rm image=rm.bin kind=flat mode=real load=0x8000 expect=triple-fault\n"),
			 0);
	assert_int_equal(suite.count, 2);
	struct vm_config *a = &suite.vms[0], *b = &suite.vms[1];
	assert_string_equal(a->name, "hello");
	assert_string_equal(a->image, "hello.elf");
	assert_int_equal(a->mem, 32 << 20);
	assert_int_equal(a->cpus, 1);
	assert_int_equal(a->kind, GUEST_IMAGE_MULTIBOOT);
	assert_string_equal(a->args, "a b");
	assert_int_equal(a->nmodules, 2);
	assert_string_equal(a->modules[1], "x.txt");
	assert_int_equal(a->expect, EXPECT_EXIT);
	assert_int_equal(a->expect_status, 3);
	assert_int_equal(b->kind, GUEST_IMAGE_FLAT);
	assert_int_equal(b->mode, GUEST_MODE_REAL);
	assert_int_equal(b->load, 0x8000);
	assert_int_equal(b->entry, 0x8000); /* defaults to load */
	assert_int_equal(b->expect, EXPECT_TRIPLE_FAULT);
}

/* A Linux kernel: args= is its command line, initrd= its initramfs; modules and flat keys are refused. */
static void test_linux_keys(void **state)
{
	assert_int_equal(parse("name=linux image=bzImage kind=linux initrd=initramfs.cpio.gz mem=256M cpus=2 "
			       "args=\"console=ttyS0 quiet\" expect=exit:0"), 0);
	assert_int_equal(suite.vms[0].kind, GUEST_IMAGE_LINUX);
	assert_string_equal(suite.vms[0].initrd, "initramfs.cpio.gz");
	assert_string_equal(suite.vms[0].args, "console=ttyS0 quiet");
	assert_int_equal(suite.vms[0].console_input, 0); /* off unless asked */
	assert_int_equal(parse("name=l image=bzImage console_input=on expect=exit:0"), 0);
	assert_int_equal(suite.vms[0].console_input, 1);
	expect_error("name=l image=bzImage console_input=yes expect=exit:0",
		     "suite.cfg:1: bad value 'yes' for 'console_input': expected one of off, on");
	assert_int_equal(parse("name=l image=bzImage initrd=i.gz expect=exit:0"), 0); /* detected at load */
	expect_error("name=l image=bzImage kind=linux module=m expect=exit:0",
		     "suite.cfg:1: module= is for multiboot images: a Linux kernel takes initrd=");
	expect_error("name=l image=h.elf kind=multiboot initrd=i.gz expect=exit:0",
		     "suite.cfg:1: initrd= needs a Linux kernel (kind=linux)");
	expect_error("name=l image=bzImage kind=linux load=0x100000 mode=long64 expect=exit:0",
		     "suite.cfg:1: mode=, load= and entry= are for flat images only");
}

static void test_load_means_flat(void **state)
{
	assert_int_equal(parse("name=p image=p.bin mode=prot32 load=0x100000 entry=0x100010 expect=exit:0"), 0);
	assert_int_equal(suite.vms[0].kind, GUEST_IMAGE_FLAT);
	assert_int_equal(suite.vms[0].mode, GUEST_MODE_PROT32);
	assert_int_equal(suite.vms[0].entry, 0x100010);
}

static void test_defaults(void **state)
{
	assert_int_equal(parse("name=h image=h.elf expect=halt"), 0);
	assert_int_equal(suite.vms[0].mem, 16 << 20);
	assert_int_equal(suite.vms[0].cpus, 1);
	assert_int_equal(suite.vms[0].kind, GUEST_IMAGE_DETECT);
	assert_int_equal(suite.vms[0].expect, EXPECT_HALT);
	assert_int_equal(suite.vms[0].timeout_ms, CONFIG_TIMEOUT_DEFAULT_MS);
	assert_int_equal(parse("name=s image=s.elf cpus=4 timeout_ms=500 expect=timeout"), 0);
	assert_int_equal(suite.vms[0].cpus, 4);
	assert_int_equal(suite.vms[0].timeout_ms, 500);
	assert_int_equal(suite.vms[0].expect, EXPECT_TIMEOUT);
}

/* QEMU's pc-testdev is on unless testdev=off; expect=reset. */
static void test_testdev_and_reset(void **state)
{
	char want[32];
	assert_int_equal(parse("name=a image=a.elf expect=reset\nname=b image=b.elf testdev=off expect=exit:0\n"), 0);
	assert_true(suite.vms[0].testdev);
	assert_false(suite.vms[1].testdev);
	assert_int_equal(suite.vms[0].expect, EXPECT_RESET);
	config_expect_str(&suite.vms[0], want, sizeof(want));
	assert_string_equal(want, "reset");
	expect_error("name=a image=a.elf testdev=maybe expect=exit:0",
		     "suite.cfg:1: bad value 'maybe' for 'testdev': expected one of off, on");
}

/* HC_MEMSLOT's pool and the per-VM NX settings (defaults: none, the hypervisor's). */
static void test_pool_and_nx(void **state)
{
	assert_int_equal(parse("name=a image=a.elf expect=exit:0\n"
			       "name=b image=b.elf pool=4M nx_huge_pages=off nx_ratio=1 nx_period_ms=100 "
			       "expect=exit:0\n"), 0);
	assert_int_equal(suite.vms[0].pool, 0);
	assert_int_equal(suite.vms[0].nx_huge_pages, CONFIG_NX_DEFAULT);
	assert_int_equal(suite.vms[0].nx_ratio, CONFIG_NX_DEFAULT);
	assert_int_equal(suite.vms[0].nx_period_ms, CONFIG_NX_DEFAULT);
	assert_int_equal(suite.vms[1].pool, 4 << 20);
	assert_int_equal(suite.vms[1].nx_huge_pages, 0);
	assert_int_equal(suite.vms[1].nx_ratio, 1);
	assert_int_equal(suite.vms[1].nx_period_ms, 100);
	assert_int_equal(parse("name=a image=a.elf nx_huge_pages=on expect=exit:0"), 0);
	assert_int_equal(suite.vms[0].nx_huge_pages, 1);
	expect_error("name=a image=a.elf pool=6K expect=exit:0",
		     "suite.cfg:1: bad value for 'pool': expected a multiple of 4K");
	expect_error("name=a image=a.elf pool=2G expect=exit:0",
		     "suite.cfg:1: bad value '2G' for 'pool': expected a size from 0 to 1G "
		     "(a number with an optional K, M, G or T suffix)");
	expect_error("name=a image=a.elf nx_huge_pages=yes expect=exit:0",
		     "suite.cfg:1: bad value 'yes' for 'nx_huge_pages': expected one of off, on");
	expect_error("name=a image=a.elf nx_ratio=0 expect=exit:0",
		     "suite.cfg:1: bad value '0' for 'nx_ratio': expected a number from 1 to 1000");
}

static void test_errors(void **state)
{
	expect_error("name=a image=a.elf mem=1M expect=exit:0",
		     "suite.cfg:1: bad value '1M' for 'mem': expected a size from 2M to 8G "
		     "(a number with an optional K, M, G or T suffix)");
	expect_error("name=a image=a.elf\n", "suite.cfg:1: missing key 'expect'");
	expect_error("\nname=a image=a.elf expect=exit", "suite.cfg:2: bad value 'exit' for 'expect': "
		     "expected exit:N (N from 0 to 4294967295), triple-fault, halt, reset or timeout");
	expect_error("name=a image=a.elf expect=exit:0 bogus=1", "suite.cfg:1: unknown key 'bogus'");
	expect_error("name=a image=a.elf cpus=9 expect=exit:0",
		     "suite.cfg:1: bad value '9' for 'cpus': expected a number from 1 to 8");
	expect_error("name=a image=a.elf expect=timeout timeout_ms=0",
		     "suite.cfg:1: expect=timeout needs a time limit (timeout_ms= above 0)");
	expect_error("name=a image=a.elf timeout_ms=1h expect=exit:0",
		     "suite.cfg:1: bad value '1h' for 'timeout_ms': expected a number from 0 to 3600000");
	expect_error("name=a image=a.elf kind=coff expect=exit:0",
		     "suite.cfg:1: bad value 'coff' for 'kind': expected one of detect, flat, elf, multiboot, linux");
	expect_error("name=a image=a.bin kind=flat expect=exit:0",
		     "suite.cfg:1: a flat image needs mode= and load=");
	expect_error("name=a image=a.elf kind=elf mode=real load=0 expect=exit:0",
		     "suite.cfg:1: mode=, load= and entry= are for flat images only");
	expect_error("name=a image=a.bin mode=real load=0x8000 entry=0x100000 expect=exit:0",
		     "suite.cfg:1: a real-mode entry must be below 1 MiB");
	expect_error("name=a image=a.bin mode=prot32 load=0x8000 module=m expect=exit:0",
		     "suite.cfg:1: args= and module= need a multiboot image (or args= a Linux kernel)");
	expect_error("name=a/b image=a.elf expect=exit:0",
		     "suite.cfg:1: bad value for 'name': expected letters, digits, '-', '_' or '.'");
	expect_error("name=a image=a.elf mem=5001K expect=exit:0",
		     "suite.cfg:1: bad value for 'mem': expected a multiple of 4K");
	expect_error("name=a image=a.elf expect=exit:0\nname=a image=b.elf expect=exit:0",
		     "suite.cfg:2: a VM with this name is already listed");
	expect_error("name=a image=a.elf module=1 module=2 module=3 module=4 module=5 expect=exit:0",
		     "suite.cfg:1: bad value '5' for 'module': at most 4 modules per VM");
	expect_error("# nothing\n", "suite.cfg: no VM listed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_line),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_means_flat),
		cmocka_unit_test(test_linux_keys),
		cmocka_unit_test(test_pool_and_nx),
		cmocka_unit_test(test_testdev_and_reset),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
