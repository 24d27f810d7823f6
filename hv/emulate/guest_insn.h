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

/* The prefix bytes (legacy and REX) before the opcode at CS:RIP, 0 when none can be read. */
u32 guest_insn_prefixes(struct vcpu *vcpu);

/* The code segment's mode, for the instruction decoder (hv/emulate/insn_decode.h). */
enum insn_mode guest_code_mode(const struct vcpu_sregs *sregs);

/* The paging controls a guest walk needs, from the vCPU's state. */
struct guest_paging guest_paging_of(const struct vcpu_sregs *sregs);

/* The linear address seg:index of a string instruction with `addr_size`-byte
 * index registers (in 64-bit mode only FS and GS have a base). */
u64 guest_string_linear(const struct vcpu_sregs *sregs, enum vcpu_seg seg, u64 index, u8 addr_size);

/*
 * Copies `size` bytes between buf and guest-linear `linear` (which may cross
 * a page) through the guest's page tables. False when the guest took a
 * fault there (#PF with CR2, or #GP) or the VM stopped because the address
 * is not RAM (the message names `what`).
 */
bool guest_copy_linear(struct vcpu *vcpu, struct vcpu_sregs *sregs, u64 linear, void *buf, u8 size,
		       bool to_guest, const char *what);

/* Writes an `addr_size`-byte address register as the CPU does: 32-bit writes clear the upper half. */
void set_addr_reg(u64 *reg, u64 value, u8 addr_size);

#endif
