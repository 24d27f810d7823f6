/* What the CPU offers for virtualization, read once from CPUID and MSRs. */
#ifndef HV_CPU_FEATURES_H
#define HV_CPU_FEATURES_H

#include "types.h"

struct cpu_features {
	char vendor[13];
	bool nx;
	/* AMD SVM */
	bool svm, npt, nrip, flush_by_asid;
	u32 asid_count;
	/* Intel VT-x */
	bool vmx, ept, unrestricted_guest, vpid;
};

extern struct cpu_features cpu_features;

void cpu_features_detect(void);
/* Prints one line naming the virtualization features found. */
void cpu_features_print(void);

#endif
