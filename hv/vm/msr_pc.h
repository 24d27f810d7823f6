/*
 * The MSRs a PC has besides those of the guest state (hv/vm/msr.c): machine
 * check, MTRRs, the performance counters, identification and the vendor's
 * configuration MSRs. One rule per range in hv/vm/msr_pc.c; a rule applies
 * exactly when the guest's CPUID shows its feature (or its vendor), so an
 * MSR the guest's CPU would not have raises #GP, as it would there.
 */
#ifndef HV_MSR_PC_H
#define HV_MSR_PC_H

#include "types.h"

struct vcpu;

#define MSR_PC_MCA_BANKS 4       /* MCG_CAP[7:0] */
#define MSR_PC_MTRR_VAR 8        /* MTRRcap[7:0] */
#define MSR_PC_INTEL_COUNTERS 2  /* CPUID.0xA:EAX[15:8] */
#define MSR_PC_COUNTER_BITS 48   /* CPUID.0xA:EAX[23:16]; AMD's legacy counters are 48 bits too */

/* Per-vCPU values of the MSRs that keep what the guest writes. */
#define MSR_PC_SLOTS 64
struct msr_pc_state {
	u64 val[MSR_PC_SLOTS];
};

/* Power-on values (also the read-only ones' fixed values come from the rules). */
void msr_pc_reset(struct vcpu *vcpu);

enum msr_pc_result {
	MSR_PC_UNKNOWN, /* no rule (or its feature is hidden): the caller raises #GP */
	MSR_PC_DONE,
	MSR_PC_FAULT,   /* the rule refuses the access (read-only, reserved bits): #GP */
};
enum msr_pc_result msr_pc_read(struct vcpu *vcpu, u32 index, u64 *value);
enum msr_pc_result msr_pc_write(struct vcpu *vcpu, u32 index, u64 value);
/* RDPMC of counter `ecx`: the counter the CPUID announces (AMD PERF_CTR0-3, Intel
 * IA32_PMCn), counting nothing; false when there is no such counter (#GP). */
bool msr_pc_rdpmc(struct vcpu *vcpu, u32 ecx, u64 *value);

#endif
