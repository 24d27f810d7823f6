/*
 * INS and OUTS, with or without REP (hv/devices/io.h). The exit gives the port, the
 * element size and the direction; the instruction's prefixes give the
 * address size and OUTS's segment (hv/emulate/insn_decode.h); RSI/RDI, RCX and
 * RFLAGS.DF do the rest, as the CPU uses them. Memory is reached through the
 * guest's page tables; a page fault there is the guest's (#PF injected,
 * with CR2), so are a non-canonical address (#GP). Segment limits are not
 * checked. A REP moves at most IO_STRING_BATCH elements per exit and then
 * leaves RIP on the instruction, which runs again: a CPU may interrupt a REP
 * string instruction the same way, and requests are seen in between.
 */
#include "hv/devices/io.h"
#include "hv/vm/vm.h"
#include "hv/vm/exit_dispatch.h"
#include "hv/emulate/guest_insn.h"
#include "hv/emulate/guest_walk.h"
#include "hv/emulate/insn_decode.h"
#include "hv/vm/vm_memory.h"

#define IO_STRING_BATCH 4096

_Static_assert((int)INSN_SEG_ES == SEG_ES && (int)INSN_SEG_GS == SEG_GS,
	       "the decoder and the vendor seam number segments in hardware order");

bool io_string_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vm *vm = vcpu->vm;
	struct vcpu_sregs s;
	struct string_io_insn in;
	u8 bytes[INSN_MAX_LEN];
	char err[96];

	vm->stats.exits_io++;
	vendor->get_sregs(vcpu, &s);
	u32 n = guest_fetch_insn(vcpu, &s, bytes, sizeof(bytes));
	int r = insn_decode_string_io(bytes, n, guest_code_mode(&s), &in, err, sizeof(err));
	if (r == INSN_ERR_PREFIX) {
		/* LOCK INS/OUTS: a CPU raises #UD while decoding, before any
		 * intercept; QEMU TCG's SVM exits first. The guest gets the #UD. */
		inject_exception(vcpu, VECTOR_UD, false, 0);
		return false;
	}
	if (r != INSN_OK) {
		vm_fail(vcpu, "cannot emulate the string port I/O at port 0x%x: %s", exit->io.port, err);
		return false;
	}
	u64 mask = in.addr_size == 8 ? ~0ull : (1ull << (8 * in.addr_size)) - 1;
	u64 *rcx = &vcpu->regs.gpr[GPR_RCX];
	u64 *index = &vcpu->regs.gpr[exit->io.in ? GPR_RDI : GPR_RSI];
	enum vcpu_seg seg = exit->io.in ? SEG_ES : (enum vcpu_seg)in.seg;
	u64 step = (vcpu->regs.rflags & RFLAGS_DF) ? -(u64)exit->io.size : exit->io.size;
	u64 count = in.rep ? *rcx & mask : 1;

	for (u64 done = 0; done < count; done++) {
		if (done == IO_STRING_BATCH)
			return false; /* the rest when the instruction runs again */
		u64 linear = guest_string_linear(&s, seg, *index, in.addr_size);
		u32 value = 0;
		if (exit->io.in) {
			value = io_read(vm, exit->io.port, exit->io.size);
			if (!guest_copy_linear(vcpu, &s, linear, &value, exit->io.size, true, "string port I/O buffer"))
				return false;
		} else {
			if (!guest_copy_linear(vcpu, &s, linear, &value, exit->io.size, false, "string port I/O buffer"))
				return false;
			io_write(vm, exit->io.port, exit->io.size, value);
		}
		set_addr_reg(index, *index + step, in.addr_size);
		if (in.rep)
			set_addr_reg(rcx, *rcx - 1, in.addr_size);
	}
	return true;
}
