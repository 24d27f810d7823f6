/* Hypercall wrappers (ABI: include/hypercall.h). */
#ifndef GUEST_HCALL_H
#define GUEST_HCALL_H

#include "hypercall.h"

/* True on AMD (and Hygon), whose hypercall instruction is VMMCALL. */
bool cpu_is_amd(void);
/* True when the hypercall instruction is handled (on plain QEMU it raises #UD). */
bool hcall_available(void);
enum hc_insn { HC_INSN_VMCALL, HC_INSN_VMMCALL };
/* The same with a chosen instruction (the hypervisor accepts both). */
long hcall_insn(enum hc_insn insn, unsigned long nr, unsigned long a1, unsigned long a2,
		unsigned long a3, unsigned long a4, unsigned long *rbx_out);
/* Issues call nr with up to four arguments; returns RAX. When rbx_out is
 * not NULL it receives RBX afterwards (the result of HC_VERSION). */
long hcall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
	   unsigned long a4, unsigned long *rbx_out);

/* Reads this VM's statistics before and after fn(arg); false (with a
 * diagnostic) when hypercalls are unavailable or HC_READ_STATS fails. */
bool stats_around(void (*fn)(void *), void *arg, struct hc_stats *before, struct hc_stats *after);

/* HC_READ_STATS into *s; false (with a diagnostic) when it fails. */
bool read_stats(struct hc_stats *s);
/* HC_MEMSLOT with n operations; returns RAX, *bad (if not NULL) gets RBX. */
long memslot_ops(const struct hc_memslot_op *ops, unsigned long n, unsigned long *bad);
/* One operation (a list of one). */
long memslot_op(u32 op, u64 gpa, u64 size, u64 arg, u32 flags);
/* HC_TDP_LEVEL: KiB of the second-level leaf mapping gpa for this vCPU, 0 for none. */
u64 tdp_mapping_kib(u64 gpa);
/* Prints N "not ok - hv: ..." lines: this guest checks nothing without hypercalls. */
void fail_without_hypercalls(int tests);

#endif
