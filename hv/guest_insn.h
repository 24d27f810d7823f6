/* Fetching the bytes of the instruction a vCPU exited on, through the guest's own page tables. */
#ifndef HV_GUEST_INSN_H
#define HV_GUEST_INSN_H

#include "types.h"
#include "hv/vendor.h"

/* Copies up to n bytes at CS:RIP into buf; returns how many could be read
 * (fewer when the instruction runs into a page the guest cannot reach). */
u32 guest_fetch_insn(struct vcpu *vcpu, const struct vcpu_sregs *sregs, u8 *buf, u32 n);

#endif
