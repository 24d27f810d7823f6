/* hv_run: everything after the kernel is up (backends, VMs); returns the exit status. */
#ifndef HV_RUN_H
#define HV_RUN_H

#include "boot_info.h"

int hv_run(struct boot_info *bi);

#endif
