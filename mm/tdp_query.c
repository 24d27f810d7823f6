/* What a vCPU's root maps at a guest frame: for tests and diagnostics (the
 * HC_TDP_LEVEL hypercall), never on a fault path. */
#include "mm/tdp_internal.h"

int tdp_mapping_level(struct vcpu_mmu *vcpu, u64 gfn)
{
	struct vm_mmu *vm = vcpu->vm;
	const struct spte_format *f = vm->fmt;
	int level = 0;

	/* The caller is the vCPU's own thread: its root stays referenced. The
	 * read lock keeps tables from being zapped and freed under the walk. */
	read_lock(&vm->mmu_lock);
	struct tdp_root *root = vcpu->root;
	if (root && !root->invalid) {
		struct tdp_iter it;
		for (tdp_iter_start(&it, f, root->table, SPTE_ROOT_LEVEL, 0, gfn, gfn + 1, SPTE_LEVEL_4K); it.valid;
		     tdp_iter_next(&it)) {
			if (spte_present(f, it.old) && spte_leaf(f, it.old, it.level)) {
				level = it.level;
				break;
			}
		}
	}
	read_unlock(&vm->mmu_lock);
	return level;
}
