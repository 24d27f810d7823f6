/* hv_run: everything after the kernel is up (backends, VMs); returns the exit status. */
#ifndef HV_RUN_H
#define HV_RUN_H

#include "boot_info.h"

#define RUN_MAX_PARALLEL 8 /* VMs in flight at once, at most (command-line key parallel=) */

/*
 * Runs the suite: VMs start in the configuration's order, up to
 * `parallel` of them at once (their vCPU threads spread over the CPUs),
 * and are judged as each one ends. A VM still running at its timeout_ms is
 * stopped (outcome "timeout"). Prints `N passed, N failed`; returns the
 * exit status (0: every VM passed).
 */
int hv_run(struct boot_info *bi);

#endif
