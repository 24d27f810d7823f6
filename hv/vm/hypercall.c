/* The hypercalls of include/hypercall.h. */
#include "hv/vm/exit_dispatch.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_memory.h"
#include "hv/vm/guest_console.h"
#include "kstring.h"


/* Copied through a small buffer: the hypervisor's stack is small. */
#define CONSOLE_CHUNK 128

static s64 hc_console_write(struct vm *vm, u64 gpa, u64 len)
{
	char chunk[CONSOLE_CHUNK];

	if (len > HC_CONSOLE_MAX)
		return HC_ELENGTH;
	if (!vm_gpa_is_ram(vm, gpa, len))
		return HC_EFAULT;
	for (u64 done = 0; done < len;) {
		u64 n = MIN(len - done, sizeof(chunk));
		vm_read_gpa(vm, gpa + done, chunk, n);
		guest_console_write(vm, chunk, n);
		done += n;
	}
	return HC_OK;
}

static s64 hc_read_stats(struct vm *vm, u64 gpa, u64 size)
{
	if (size < HC_STATS_MIN_SIZE)
		return HC_ELENGTH;
	vm_stats_update(vm);
	if (!vm_write_gpa(vm, gpa, &vm->stats, MIN(size, sizeof(vm->stats))))
		return HC_EFAULT;
	return HC_OK;
}

bool hypercall_exit(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vcpu_sregs s;
	u64 *gpr = vcpu->regs.gpr;
	s64 ret;

	vm->stats.exits_hypercall++;
	vendor->get_sregs(vcpu, &s);
	/* Outside 64-bit mode only the low halves of the registers count. */
	bool long64 = sregs_64bit_code(&s);
	u64 mask = long64 ? ~0ull : 0xffffffffull;
	u64 nr = gpr[GPR_RAX] & mask, a1 = gpr[GPR_RBX] & mask, a2 = gpr[GPR_RCX] & mask;

	if (s.cpl != 0) {
		ret = HC_EPERM;
	} else {
		switch (nr) {
		case HC_VERSION:
			gpr[GPR_RBX] = HC_ABI_VERSION;
			ret = HC_OK;
			break;
		case HC_CONSOLE_WRITE:
			ret = hc_console_write(vm, a1, a2);
			break;
		case HC_EXIT:
			vm_stop(vm, VM_EXITED, (u32)a1);
			return true;
		case HC_READ_STATS:
			ret = hc_read_stats(vm, a1, a2);
			break;
		case HC_MEMSLOT: {
			u64 bad;
			ret = vm_memory_memslot_call(vm, a1, a2, &bad);
			vm->stats.memslot_calls += ret == HC_OK;
			gpr[GPR_RBX] = bad;
			break;
		}
		case HC_TDP_LEVEL:
			gpr[GPR_RBX] = vm_memory_mapping_kib(vcpu, a1);
			ret = HC_OK;
			break;
		default:
			ret = HC_ENOSYS;
			break;
		}
	}
	gpr[GPR_RAX] = long64 ? (u64)ret : (u32)ret;
	return true;
}
