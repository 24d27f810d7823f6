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

/* The guest takes the fault a walk ran into; a buffer outside RAM stops the VM. */
static void guest_fault(struct vcpu *vcpu, struct vcpu_sregs *s, int fault, const struct guest_walk *w,
			u64 linear)
{
	if (fault == GUEST_WALK_PAGE_FAULT) {
		s->cr2 = linear;
		vendor->set_sregs(vcpu, s);
		inject_exception(vcpu, VECTOR_PF, true, w->pfec);
	} else if (fault == GUEST_WALK_NOT_CANONICAL) {
		inject_exception(vcpu, VECTOR_GP, true, 0);
	} else {
		vm_fail(vcpu, "string port I/O buffer at linear 0x%lx is at guest-physical 0x%lx, which is not RAM",
			linear, w->bad_gpa);
	}
}

/* Copies one element between `buf` and guest-linear `linear` (it may cross a page). */
static bool copy_element(struct vcpu *vcpu, struct vcpu_sregs *s, u64 linear, void *buf, u8 size,
			 bool to_guest)
{
	struct guest_paging pg = guest_paging_of(s);
	u32 user = s->cpl == 3 ? GUEST_USER : 0;
	struct guest_walk w;
	int fault;
	u32 n = to_guest ? guest_write_linear(&pg, linear, user, buf, size, guest_ram_read, guest_ram_write,
					      vcpu->vm, &fault, &w)
			 : guest_read_linear(&pg, linear, GUEST_READ | user, buf, size, guest_ram_read, vcpu->vm,
					     &fault, &w);
	if (n == size)
		return true;
	guest_fault(vcpu, s, fault, &w, linear + n); /* the first byte it could not reach */
	return false;
}

/* A register as an `addr_size`-byte address register: 32-bit writes clear the upper half. */
static void set_addr_reg(u64 *reg, u64 value, u8 addr_size)
{
	if (addr_size == 8)
		*reg = value;
	else if (addr_size == 4)
		*reg = (u32)value;
	else
		*reg = (*reg & ~0xffffull) | (value & 0xffff);
}

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
	if (insn_decode_string_io(bytes, n, guest_code_mode(&s), &in, err, sizeof(err)) != INSN_OK) {
		vm_fail(vcpu, "cannot emulate the string port I/O at port 0x%x: %s", exit->io.port, err);
		return false;
	}
	u64 mask = in.addr_size == 8 ? ~0ull : (1ull << (8 * in.addr_size)) - 1;
	u64 *rcx = &vcpu->regs.gpr[GPR_RCX];
	u64 *index = &vcpu->regs.gpr[exit->io.in ? GPR_RDI : GPR_RSI];
	enum vcpu_seg seg = exit->io.in ? SEG_ES : (enum vcpu_seg)in.seg;
	bool long64 = guest_code_mode(&s) == INSN_MODE_64;
	/* In 64-bit mode only FS and GS have a base. */
	u64 base = !long64 || seg == SEG_FS || seg == SEG_GS ? s.seg[seg].base : 0;
	u64 step = (vcpu->regs.rflags & RFLAGS_DF) ? -(u64)exit->io.size : exit->io.size;
	u64 count = in.rep ? *rcx & mask : 1;

	for (u64 done = 0; done < count; done++) {
		if (done == IO_STRING_BATCH)
			return false; /* the rest when the instruction runs again */
		u64 linear = base + (*index & mask);
		u32 value = 0;
		if (!long64)
			linear &= 0xffffffffu;
		if (exit->io.in) {
			value = io_read(vm, exit->io.port, exit->io.size);
			if (!copy_element(vcpu, &s, linear, &value, exit->io.size, true))
				return false;
		} else {
			if (!copy_element(vcpu, &s, linear, &value, exit->io.size, false))
				return false;
			io_write(vm, exit->io.port, exit->io.size, value);
		}
		set_addr_reg(index, *index + step, in.addr_size);
		if (in.rep)
			set_addr_reg(rcx, *rcx - 1, in.addr_size);
	}
	return true;
}
