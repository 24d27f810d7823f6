/*
 * The suite configuration (docs/GUEST-PLATFORM.md, "Configuration"): one VM per line,
 * `key=value` words, `#` comments. Parsing checks every value and every
 * combination, and names the line and the key of the first problem.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "types.h"
#include "boot_info.h"
#include "hv/vm/vcpu.h"

#define CONFIG_MAX_VMS 32
#define CONFIG_MAX_MODULES 4
#define CONFIG_NAME_MAX 32
#define CONFIG_ARGS_MAX 256
#define CONFIG_MEM_MIN (2ull << 20)  /* the loader's low area and an image at 1 MiB */
#define CONFIG_MEM_MAX (8ull << 30)
#define CONFIG_MAX_CPUS 8            /* vCPUs per VM (VM_MAX_VCPUS in hv/vm/vm.h) */
#define CONFIG_TIMEOUT_DEFAULT_MS 60000 /* a VM still running then is stopped (timeout_ms=0: never) */
#define CONFIG_ADDR_MAX 0xffffffffffffull /* load/entry: 48-bit guest-physical */

enum expect_kind { EXPECT_EXIT, EXPECT_TRIPLE_FAULT, EXPECT_HALT, EXPECT_TIMEOUT, EXPECT_RESET };

struct vm_config {
	char name[CONFIG_NAME_MAX];
	char image[BOOT_NAME_MAX];
	u64 mem;                        /* bytes */
	u32 cpus;
	u32 timeout_ms;                 /* stopped when still running after this long; 0: no limit */
	enum guest_image_kind kind;
	enum guest_cpu_mode mode;            /* flat images only */
	u64 load, entry;                /* flat images only; entry defaults to load */
	char args[CONFIG_ARGS_MAX];     /* appended to the name in the multiboot command line; Linux: its command line */
	char initrd[BOOT_NAME_MAX];
	u32 console_input;              /* 1: keys typed on the hypervisor's console go to this VM (hv/vm/console_input.h) */     /* Linux only: the initrd among the boot images, "" = none */
	u32 nmodules;
	char modules[CONFIG_MAX_MODULES][BOOT_NAME_MAX];
	enum expect_kind expect;
	u32 expect_status;              /* EXPECT_EXIT */
	u64 pool;                       /* bytes of RAM for HC_MEMSLOT (hv/vm/hc_memslot.h), 0 = none */
	/* NX huge pages for this VM (MMU.md §6); CONFIG_NX_DEFAULT: the hypervisor's setting */
	u32 nx_huge_pages;              /* 0 off, 1 on */
	u32 nx_ratio, nx_period_ms;
	bool testdev;                   /* QEMU's pc-testdev (hv/devices/pc_testdev.h); on by default */
};
#define CONFIG_NX_DEFAULT (~0u)
#define CONFIG_POOL_MAX (1ull << 30)

struct suite_config {
	u32 count;
	struct vm_config vms[CONFIG_MAX_VMS];
};

/* Parse a whole config file; 0, or -1 with "FILE:LINE: problem" in err. */
int config_parse(const char *file, const char *text, size_t len, struct suite_config *out,
		 char *err, size_t errlen);

/* "exit:0", "triple-fault", "halt", "timeout" (for messages). */
void config_expect_str(const struct vm_config *cfg, char *buf, size_t len);

#endif
