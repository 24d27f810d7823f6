/* Fetching the bytes of the instruction a vCPU exited on, through the guest's own page tables. */
#ifndef HV_GUEST_INSN_H
#define HV_GUEST_INSN_H

#include "types.h"
#include "hv/vm/vendor.h"
#include "hv/emulate/insn_decode.h"
#include "hv/emulate/guest_walk.h"

/* Copies up to n bytes at CS:RIP into buf; returns how many could be read
 * (fewer when the instruction runs into a page the guest cannot reach). */
u32 guest_fetch_insn(struct vcpu *vcpu, const struct vcpu_sregs *sregs, u8 *buf, u32 n);

/* The code segment's mode, for the instruction decoder (hv/emulate/insn_decode.h). */
enum insn_mode guest_code_mode(const struct vcpu_sregs *sregs);

/* The paging controls a guest walk needs, from the vCPU's state. */
struct guest_paging guest_paging_of(const struct vcpu_sregs *sregs);

#endif
