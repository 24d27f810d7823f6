/* Instruction bytes at the guest's CS:RIP (hv/emulate/guest_insn.h), via the guest page walk (hv/emulate/guest_walk.h). */
#include "hv/emulate/guest_insn.h"
#include "hv/emulate/guest_walk.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"
#include "hv/vm/exit_dispatch.h"


struct guest_paging guest_paging_of(const struct vcpu_sregs *s)
{
	return (struct guest_paging){ .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };
}

enum insn_mode guest_code_mode(const struct vcpu_sregs *s)
{
	if (sregs_64bit_code(s))
		return INSN_MODE_64;
	return ((s->cr0 & CR0_PE) && s->seg[SEG_CS].db) ? INSN_MODE_32 : INSN_MODE_16;
}

u32 guest_fetch_insn(struct vcpu *vcpu, const struct vcpu_sregs *s, u8 *buf, u32 n)
{
	struct guest_paging pg = guest_paging_of(s);
	bool long64 = sregs_64bit_code(s);
	/* In 64-bit mode the CPU ignores CS.base (SDM vol. 1, 3.4.2.1): so do we. */
	u64 linear = (long64 ? 0 : s->seg[SEG_CS].base) + vcpu->regs.rip;
	u32 access = GUEST_FETCH | (s->cpl == 3 ? GUEST_USER : 0);
	struct guest_walk walk;
	int fault;

	if (!long64)
		linear &= 0xffffffffu; /* outside 64-bit mode linear addresses wrap at 4 GiB */
	return guest_read_linear(&pg, linear, access, buf, n, guest_ram_read, vcpu->vm, &fault, &walk);
}

u32 guest_insn_prefixes(struct vcpu *vcpu)
{
	struct vcpu_sregs s;
	u8 bytes[INSN_MAX_LEN];

	vendor->get_sregs(vcpu, &s);
	u32 n = guest_fetch_insn(vcpu, &s, bytes, sizeof(bytes));
	return insn_prefix_length(bytes, n, guest_code_mode(&s));
}

u64 guest_string_linear(const struct vcpu_sregs *s, enum vcpu_seg seg, u64 index, u8 addr_size)
{
	bool long64 = guest_code_mode(s) == INSN_MODE_64;
	u64 mask = addr_size == 8 ? ~0ull : (1ull << (8 * addr_size)) - 1;
	u64 base = !long64 || seg == SEG_FS || seg == SEG_GS ? s->seg[seg].base : 0;
	u64 linear = base + (index & mask);
	return long64 ? linear : linear & 0xffffffffu;
}

/* The guest takes the fault a walk ran into; an address outside RAM stops the VM. */
static void guest_fault(struct vcpu *vcpu, struct vcpu_sregs *s, int fault, const struct guest_walk *w,
			u64 linear, const char *what)
{
	if (fault == GUEST_WALK_PAGE_FAULT) {
		s->cr2 = linear;
		vendor->set_sregs(vcpu, s);
		inject_exception(vcpu, VECTOR_PF, true, w->pfec);
	} else if (fault == GUEST_WALK_NOT_CANONICAL) {
		inject_exception(vcpu, VECTOR_GP, true, 0);
	} else {
		vm_fail(vcpu, "%s at linear 0x%lx is at guest-physical 0x%lx, which is not RAM", what, linear,
			w->bad_gpa);
	}
}

bool guest_copy_linear(struct vcpu *vcpu, struct vcpu_sregs *s, u64 linear, void *buf, u8 size,
		       bool to_guest, const char *what)
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
	guest_fault(vcpu, s, fault, &w, linear + n, what); /* the first byte it could not reach */
	return false;
}

void set_addr_reg(u64 *reg, u64 value, u8 addr_size)
{
	if (addr_size == 8)
		*reg = value;
	else if (addr_size == 4)
		*reg = (u32)value;
	else
		*reg = (*reg & ~0xffffull) | (value & 0xffff);
}
