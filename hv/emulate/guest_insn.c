/* Instruction bytes at the guest's CS:RIP (hv/emulate/guest_insn.h), via the guest page walk (hv/emulate/guest_walk.h). */
#include "hv/emulate/guest_insn.h"
#include "hv/emulate/guest_walk.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"


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
