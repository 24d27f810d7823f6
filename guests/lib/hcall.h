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

#endif
