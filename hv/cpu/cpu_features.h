/* The host CPU's identity and the features the hypervisor itself uses, read once from CPUID. */
#ifndef HV_CPU_FEATURES_H
#define HV_CPU_FEATURES_H

#include "types.h"

struct cpu_features {
	char vendor[13];
	bool nx;
};

extern struct cpu_features cpu_features;

void cpu_features_detect(void);

#endif
