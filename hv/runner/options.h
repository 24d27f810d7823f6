/* The hypervisor command line: every key, its type and where its value goes.
 * Owners of other subsystems add their keys to the table in hv/runner/options.c. */
#ifndef HV_OPTIONS_H
#define HV_OPTIONS_H

#include "types.h"

struct hv_options {
	u32 loglevel;     /* enum log_level: error|warn|info|debug */
	u32 on_exit;      /* enum exit_method: auto|qemu|bochs|halt|reset */
	u32 console;      /* serial|fb|both (index + 1 = enum console_output) */
	u32 test_fault;   /* enum test_fault: none|ud|pf|gp|de (boot tests only) */
	char config[64];  /* the suite config among the guest images */
	char test_bad_guest_state[64]; /* test only: this VM gets a guest state the CPU refuses */
	char test_late_vcpu_publish[64]; /* test only: vm_start names this VM's vCPU threads late */
	bool smp;         /* on: start every CPU the MADT lists; off: the boot CPU only */
	u64 parallel;     /* VMs of the suite running at once, at most; 0: as many as CPUs run guests */
	bool test_sched;  /* run the scheduler self-test on every CPU and exit (boot tests only) */
	/* NX huge pages (MMU.md §6): defaults for every VM (suite.cfg keys override them) */
	bool nx_huge_pages;
	u32 mmu_zap;      /* enum mmu_zap_policy: auto|fast|slot (tests: force one invalidation strategy) */
	u64 nx_ratio, nx_period_ms;
	u32 vm_switch_flush; /* enum vm_switch_flush: none|ibpb|full, when a CPU goes from one VM to another */
	u64 console_rate;    /* lines per second a VM may print (bursts of twice that); 0: no limit */
	u64 tdp_table_cap;   /* second-level table pages a VM may hold (hv/vm/vm_memory.c); 0: no cap */
};

extern struct hv_options hv_options;

/* Parses the command line into hv_options (defaults for missing keys).
 * Returns 0, or -1 with a message naming the offending key in err. */
int options_parse(const char *cmdline, char *err, size_t errlen);

#endif
