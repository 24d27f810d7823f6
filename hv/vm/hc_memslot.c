/*
 * HC_MEMSLOT (hv/vm/hc_memslot.h): guest operations -> one mm/ transaction.
 *
 * Each operation is checked on its own first (op, flags, alignment, sizes,
 * pool bounds, boot slots), so most mistakes name their operation; what
 * depends on the steps before it (does a slot start there?) is judged by
 * mm/ inside the transaction, and what only the result shows (overlap, a
 * slot grown out of the pool or into the device hole) by slot_allowed()
 * on the result. Nothing changes unless everything passes.
 */
#include "hv/vm/hc_memslot.h"
#include "mm/memslot.h"
#include "mm/platform.h"
#include "kstring.h"

#define OPS_BYTES (HC_MEMSLOT_MAX_OPS * sizeof(struct hc_memslot_op))
#define SCRATCH_PAGES \
	(ALIGN_UP(OPS_BYTES + HC_MEMSLOT_MAX_OPS * sizeof(struct memslot_change), PAGE_SIZE) / PAGE_SIZE)

static bool aligned(u64 v)
{
	return (v & (PAGE_SIZE - 1)) == 0;
}

/* [gpa, gpa + size) ends at or below HC_GPA_LIMIT and stays out of the device hole. */
static bool gpa_range_ok(u64 gpa, u64 size)
{
	if (gpa >= HC_GPA_LIMIT || size > HC_GPA_LIMIT - gpa)
		return false;
	return gpa + size <= HC_DEVICE_HOLE_START || gpa >= HC_DEVICE_HOLE_END;
}

static bool in_frames(u64 pfn, u64 npages, u64 first, u64 count)
{
	return pfn >= first && npages <= count && pfn - first <= count - npages;
}

/* True when the slot starting at gpa is one of the VM's boot slots. */
static bool names_boot_slot(const struct hc_memslot_vm *vm, u64 gpa)
{
	u64 pfn;
	return memslots_gfn_to_pfn(vm->mmu, gpa >> PAGE_SHIFT, &pfn, NULL) &&
	       in_frames(pfn, 1, vm->ram_pfn, vm->ram_pages);
}

/* The checks one operation allows on its own; HC_OK or the error. */
static s64 check_op(const struct hc_memslot_vm *vm, const struct hc_memslot_op *op)
{
	if (op->op < HC_MEMSLOT_CREATE || op->op > HC_MEMSLOT_DIRTY_GET)
		return HC_EINVAL;
	if ((op->op == HC_MEMSLOT_CREATE || op->op == HC_MEMSLOT_SET_FLAGS) &&
	    (op->flags & ~(HC_MEMSLOT_F_READONLY | HC_MEMSLOT_F_DIRTY_LOG)))
		return HC_EINVAL;
	if (!aligned(op->gpa) || (op->op != HC_MEMSLOT_DIRTY_GET && (!aligned(op->size) || !aligned(op->arg))))
		return HC_EALIGN;
	if (op->op != HC_MEMSLOT_CREATE && names_boot_slot(vm, op->gpa))
		return HC_EPROTECTED;
	switch (op->op) {
	case HC_MEMSLOT_CREATE:
		if (op->size == 0)
			return HC_ELENGTH;
		if (!gpa_range_ok(op->gpa, op->size) || op->arg > vm->pool_pages << PAGE_SHIFT ||
		    op->size > (vm->pool_pages << PAGE_SHIFT) - op->arg)
			return HC_ERANGE;
		return HC_OK;
	case HC_MEMSLOT_MOVE:
		return gpa_range_ok(op->arg, PAGE_SIZE) ? HC_OK : HC_ERANGE;
	case HC_MEMSLOT_RESIZE:
		if (op->size == 0)
			return HC_ELENGTH;
		return op->size <= vm->pool_pages << PAGE_SHIFT ? HC_OK : HC_ERANGE;
	default:
		return HC_OK;
	}
}

static enum memslot_op mm_op(u32 op)
{
	switch (op) {
	case HC_MEMSLOT_CREATE: return MEMSLOT_CREATE;
	case HC_MEMSLOT_DELETE: return MEMSLOT_DELETE;
	case HC_MEMSLOT_MOVE: return MEMSLOT_MOVE;
	case HC_MEMSLOT_RESIZE: return MEMSLOT_RESIZE;
	case HC_MEMSLOT_SPLIT: return MEMSLOT_SPLIT;
	default: return MEMSLOT_SET_FLAGS;
	}
}

static u32 mm_flags(u32 flags)
{
	return ((flags & HC_MEMSLOT_F_READONLY) ? MEMSLOT_READONLY : 0) |
	       ((flags & HC_MEMSLOT_F_DIRTY_LOG) ? MEMSLOT_DIRTY_LOG : 0);
}

static struct memslot_change to_change(const struct hc_memslot_vm *vm, const struct hc_memslot_op *op)
{
	struct memslot_change c = { .op = mm_op(op->op), .flags = mm_flags(op->flags),
				    .gfn = op->gpa >> PAGE_SHIFT, .npages = op->size >> PAGE_SHIFT,
				    .to_gfn = op->arg >> PAGE_SHIFT };
	if (op->op == HC_MEMSLOT_CREATE)
		c.host_pfn = vm->pool_pfn + (op->arg >> PAGE_SHIFT);
	return c;
}

/* The rule for every slot of the result, and why it refused one. */
struct result_rule {
	const struct hc_memslot_vm *vm;
	u32 slots;
	s64 why;
};

static bool slot_allowed(void *ctx, const struct memslot *m)
{
	struct result_rule *r = ctx;
	const struct hc_memslot_vm *vm = r->vm;

	if (++r->slots > HC_MEMSLOT_MAX_SLOTS) {
		r->why = HC_ETOOMANY;
		return false;
	}
	/* boot slots cannot be named, so one backed by boot RAM is unchanged */
	if (in_frames(m->host_pfn, m->npages, vm->ram_pfn, vm->ram_pages))
		return true;
	r->why = HC_ERANGE;
	return in_frames(m->host_pfn, m->npages, vm->pool_pfn, vm->pool_pages) &&
	       gpa_range_ok(m->base_gfn << PAGE_SHIFT, m->npages << PAGE_SHIFT);
}

static s64 hc_error(int memslot_err)
{
	switch (memslot_err) {
	case MEMSLOT_OK: return HC_OK;
	case MEMSLOT_E_EMPTY: return HC_ELENGTH;
	case MEMSLOT_E_RANGE: return HC_ERANGE;
	case MEMSLOT_E_NOT_FOUND: return HC_ENOENT;
	case MEMSLOT_E_EXISTS: return HC_EEXIST;
	case MEMSLOT_E_OVERLAP: return HC_EOVERLAP;
	case MEMSLOT_E_TOO_MANY: return HC_ETOOMANY;
	case MEMSLOT_E_DIRTY_LOG: return HC_EDIRTYLOG;
	case MEMSLOT_E_NO_MEMORY: return HC_ENOMEM;
	default: return HC_EINVAL; /* BAD_OP, BAD_SPLIT, BAD_FLAGS */
	}
}

/*
 * Get and clear one slot's dirty bitmap into the guest's buffer: the
 * buffer is checked before the bitmap is cleared, so a failure loses no bit.
 * The whole buffer is written: the bitmap, then zeros.
 */
static s64 dirty_get(const struct hc_memslot_vm *vm, const struct hc_memslot_op *op)
{
	u64 words = op->size / sizeof(u64);
	u64 pool_words = ALIGN_UP(vm->pool_pages, 64) / 64;
	u64 pages = ALIGN_UP(MAX(op->size, 1), PAGE_SIZE) / PAGE_SIZE;

	if (op->size > ALIGN_UP(pool_words * sizeof(u64), PAGE_SIZE))
		return HC_ELENGTH; /* no slot's bitmap is that large */
	u64 *bits = mmp_pages_alloc(pages);
	if (!bits)
		return HC_ENOMEM;
	memset(bits, 0, pages * PAGE_SIZE);
	s64 ret = HC_EFAULT;
	/* rewriting the buffer's own bytes proves it is RAM before anything is cleared */
	if (vm->read(vm->ctx, op->arg, bits, op->size) && vm->write(vm->ctx, op->arg, bits, op->size)) {
		memset(bits, 0, pages * PAGE_SIZE);
		int err = memslots_dirty_get_and_clear(vm->mmu, op->gpa >> PAGE_SHIFT, bits, words);
		if (err == MEMSLOT_E_RANGE)
			ret = HC_ELENGTH;
		else if (err == MEMSLOT_E_BAD_FLAGS)
			ret = HC_EDIRTYLOG;
		else
			ret = hc_error(err);
		if (ret == HC_OK)
			vm->write(vm->ctx, op->arg, bits, op->size);
	}
	mmp_pages_free(bits, pages);
	return ret;
}

static s64 run_ops(const struct hc_memslot_vm *vm, const struct hc_memslot_op *ops, u32 n,
		   struct memslot_change *steps, u64 *bad)
{
	for (u32 i = 0; i < n; i++) {
		s64 err = check_op(vm, &ops[i]);
		if (err == HC_OK && ops[i].op == HC_MEMSLOT_DIRTY_GET && n != 1)
			err = HC_EINVAL; /* not a transaction step */
		if (err) {
			*bad = i;
			return err;
		}
		steps[i] = to_change(vm, &ops[i]);
	}
	if (ops[0].op == HC_MEMSLOT_DIRTY_GET)
		return dirty_get(vm, &ops[0]);
	struct result_rule rule = { .vm = vm };
	u32 bad_step = 0;
	int err = memslots_commit_checked(vm->mmu, steps, n, &bad_step, slot_allowed, &rule, NULL);
	*bad = err ? bad_step : 0;
	return err == MEMSLOT_E_REFUSED ? rule.why : hc_error(err);
}

s64 hc_memslot(const struct hc_memslot_vm *vm, u64 ops_gpa, u64 count, u64 *bad)
{
	*bad = 0;
	if (count == 0 || count > HC_MEMSLOT_MAX_OPS)
		return HC_ELENGTH;
	void *scratch = mmp_pages_alloc(SCRATCH_PAGES);
	if (!scratch)
		return HC_ENOMEM;
	struct hc_memslot_op *ops = scratch;
	struct memslot_change *steps = (struct memslot_change *)((u8 *)scratch + OPS_BYTES);
	s64 ret = HC_EFAULT;
	if (vm->read(vm->ctx, ops_gpa, ops, count * sizeof(*ops)))
		ret = run_ops(vm, ops, (u32)count, steps, bad);
	mmp_pages_free(scratch, SCRATCH_PAGES);
	return ret;
}
