/*
 * One loop walks every paging format; a format only says how many levels,
 * how wide an entry and an index are, and where large pages may sit.
 */
#include "hv/emulate/guest_walk.h"
#include "x86.h"



enum format { FMT_32, FMT_PAE, FMT_4LEVEL, FMT_5LEVEL };

struct walk_state {
	const struct guest_paging *pg;
	enum format fmt;
	u64 gla;
	u32 access;
	bool writable, user, nx; /* accumulated over the levels */
};

static u8 levels_of(enum format f)
{
	return f == FMT_32 ? 2 : f == FMT_PAE ? 3 : f == FMT_4LEVEL ? 4 : 5;
}

static unsigned shift_of(enum format f, unsigned level)
{
	return 12 + (f == FMT_32 ? 10 : 9) * (level - 1);
}

static u64 index_of(const struct walk_state *w, unsigned level)
{
	unsigned bits = w->fmt == FMT_32 ? 10 : (w->fmt == FMT_PAE && level == 3) ? 2 : 9;
	return (w->gla >> shift_of(w->fmt, level)) & ((1ull << bits) - 1);
}

static bool large_allowed(const struct walk_state *w, unsigned level)
{
	if (w->fmt == FMT_32)
		return level == 2 && (w->pg->cr4 & CR4_PSE);
	if (w->fmt == FMT_PAE)
		return level == 2;
	return level == 2 || level == 3;
}

/* Bits that must be zero in an entry at this level (64-bit formats). */
static u64 reserved_bits(const struct walk_state *w, unsigned level, u64 e)
{
	u8 maxphy = w->pg->maxphyaddr ? w->pg->maxphyaddr : 52;
	u64 rsvd = ((1ull << 52) - 1) & ~((1ull << maxphy) - 1);

	if (!(w->pg->efer & EFER_NXE) || (w->fmt == FMT_PAE && level == 3))
		rsvd |= PTE_NX;
	if (w->fmt == FMT_PAE && level == 3)
		rsvd |= 0x1E6; /* PDPTE bits 1, 2, 5-8 */
	else if (level >= 4)
		rsvd |= PTE_PS;
	else if ((e & PTE_PS) && large_allowed(w, level))
		rsvd |= ((1ull << shift_of(w->fmt, level)) - 1) & ~0x1FFFull; /* above PAT bit 12 */
	return rsvd;
}

/* Physical base of a large 32-bit PSE page: bits 31:22, plus 39:32 from bits 20:13. */
static u64 pse_base(u64 e)
{
	return (e & 0xFFC00000ull) | ((e >> 13 & 0xFF) << 32);
}

static int read_entry(const struct walk_state *w, u64 gpa, guest_read_fn read, void *ctx,
		      u64 *e, struct guest_walk *out)
{
	u32 lo = 0;
	*e = 0;
	if (w->fmt == FMT_32 ? !read(ctx, gpa, &lo, 4) : !read(ctx, gpa, e, 8)) {
		out->bad_gpa = gpa;
		return GUEST_WALK_NO_MEMORY;
	}
	if (w->fmt == FMT_32)
		*e = lo;
	return GUEST_WALK_OK;
}

static int page_fault(const struct walk_state *w, u32 why, struct guest_walk *out)
{
	bool fetch_flag = (w->access & GUEST_FETCH) &&
			  (((w->pg->efer & EFER_NXE) && w->fmt != FMT_32) || (w->pg->cr4 & CR4_SMEP));
	out->pfec = why | (w->access & (PFEC_WRITE | PFEC_USER)) | (fetch_flag ? PFEC_FETCH : 0);
	return GUEST_WALK_PAGE_FAULT;
}

/* The permission checks, once the accumulated rights of every level are known. */
static bool access_allowed(const struct walk_state *w)
{
	bool user = w->access & GUEST_USER;

	if (user && !w->user)
		return false;
	if ((w->access & GUEST_WRITE) && !w->writable && (user || (w->pg->cr0 & CR0_WP)))
		return false;
	if ((w->access & GUEST_FETCH) && w->nx && (w->pg->efer & EFER_NXE))
		return false;
	if ((w->access & GUEST_FETCH) && !user && w->user && (w->pg->cr4 & CR4_SMEP))
		return false;
	return true;
}

static u64 table_base(const struct walk_state *w)
{
	if (w->fmt == FMT_32)
		return w->pg->cr3 & 0xFFFFF000ull;
	if (w->fmt == FMT_PAE)
		return w->pg->cr3 & 0xFFFFFFE0ull;
	return w->pg->cr3 & PTE_ADDR_MASK;
}

static int walk_tables(struct walk_state *w, guest_read_fn read, void *ctx, struct guest_walk *out)
{
	u64 table = table_base(w), e;

	for (unsigned level = levels_of(w->fmt);; level--) {
		u64 esize = w->fmt == FMT_32 ? 4 : 8;
		int r = read_entry(w, table + index_of(w, level) * esize, read, ctx, &e, out);
		if (r != GUEST_WALK_OK)
			return r;
		if (!(e & PTE_P))
			return page_fault(w, 0, out);
		if (w->fmt != FMT_32 && (e & reserved_bits(w, level, e)))
			return page_fault(w, PFEC_PRESENT | PFEC_RSVD, out);
		if (w->fmt == FMT_32 && level == 2 && (e & PTE_PS) && large_allowed(w, 2) && (e & (1u << 21)))
			return page_fault(w, PFEC_PRESENT | PFEC_RSVD, out);
		if (!(w->fmt == FMT_PAE && level == 3)) { /* PDPTEs carry no rights */
			w->writable &= !!(e & PTE_W);
			w->user &= !!(e & PTE_U);
			w->nx |= w->fmt != FMT_32 && (e & PTE_NX);
		}
		bool large = (e & PTE_PS) && large_allowed(w, level);
		if (large || level == 1) {
			out->page_size = 1ull << shift_of(w->fmt, level);
			if (w->fmt == FMT_32)
				out->gpa = (large ? pse_base(e) : (e & 0xFFFFF000ull)) | (w->gla & (out->page_size - 1));
			else
				out->gpa = (e & PTE_ADDR_MASK & ~(out->page_size - 1)) | (w->gla & (out->page_size - 1));
			break;
		}
		table = w->fmt == FMT_32 ? (e & 0xFFFFF000ull) : (e & PTE_ADDR_MASK);
	}
	if (!access_allowed(w))
		return page_fault(w, PFEC_PRESENT, out);
	return GUEST_WALK_OK;
}

static bool canonical(u64 gla, unsigned bits)
{
	u64 top = gla >> (bits - 1);
	return top == 0 || top == (~0ull >> (bits - 1));
}

int guest_walk(const struct guest_paging *pg, u64 gla, u32 access, guest_read_fn read, void *ctx,
	       struct guest_walk *out)
{
	struct walk_state w = { .pg = pg, .gla = gla, .access = access,
				.writable = true, .user = true, .nx = false };

	*out = (struct guest_walk){ 0 };
	if (!(pg->cr0 & CR0_PG) || !(pg->cr0 & CR0_PE)) {
		out->gpa = gla & 0xFFFFFFFFull; /* no paging: linear is physical (32-bit) */
		out->page_size = PAGE_SIZE;
		return GUEST_WALK_OK;
	}
	if (pg->efer & EFER_LMA)
		w.fmt = (pg->cr4 & CR4_LA57) ? FMT_5LEVEL : FMT_4LEVEL;
	else
		w.fmt = (pg->cr4 & CR4_PAE) ? FMT_PAE : FMT_32;
	if (w.fmt >= FMT_4LEVEL && !canonical(gla, w.fmt == FMT_5LEVEL ? 57 : 48))
		return GUEST_WALK_NOT_CANONICAL;
	if (w.fmt < FMT_4LEVEL)
		w.gla = gla & 0xFFFFFFFFull;
	return walk_tables(&w, read, ctx, out);
}

/* Page by page between buf and gla: into buf with `read`, or out of it with `write` when given. */
static u32 copy_linear(const struct guest_paging *pg, u64 gla, u32 access, u8 *buf, u32 len,
		       guest_read_fn read, guest_write_fn write, void *ctx, int *fault, struct guest_walk *walk)
{
	u32 done = 0;

	*fault = GUEST_WALK_OK;
	while (done < len) {
		u64 at = gla + done;
		u32 chunk = (u32)MIN((u64)(len - done), PAGE_SIZE - (at & (PAGE_SIZE - 1)));
		*fault = guest_walk(pg, at, access, read, ctx, walk);
		if (*fault != GUEST_WALK_OK)
			break;
		bool copied = write ? write(ctx, walk->gpa, buf + done, chunk) : read(ctx, walk->gpa, buf + done, chunk);
		if (!copied) {
			walk->bad_gpa = walk->gpa;
			*fault = GUEST_WALK_NO_MEMORY;
			break;
		}
		done += chunk;
	}
	return done;
}

u32 guest_read_linear(const struct guest_paging *pg, u64 gla, u32 access, void *dst, u32 len,
		      guest_read_fn read, void *ctx, int *fault, struct guest_walk *walk)
{
	return copy_linear(pg, gla, access, dst, len, read, NULL, ctx, fault, walk);
}

u32 guest_write_linear(const struct guest_paging *pg, u64 gla, u32 access, const void *src, u32 len,
		       guest_read_fn read, guest_write_fn write, void *ctx, int *fault, struct guest_walk *walk)
{
	/* buf is only read from on this path */
	return copy_linear(pg, gla, access | GUEST_WRITE, (u8 *)(uintptr_t)src, len, read, write, ctx, fault,
			   walk);
}
