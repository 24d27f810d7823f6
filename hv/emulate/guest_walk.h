/*
 * Translating a guest-linear address through the guest's own page tables,
 * as the guest's CPU would: paging off, 32-bit (with 4 MiB PSE pages), PAE,
 * 4-level and 5-level long mode, with the present, reserved-bit, write, user,
 * NX and SMEP checks. Used to fetch the instruction behind an exit and to
 * copy the data of INS/OUTS (hv/devices/io_string.c).
 * Read-only: accessed/dirty bits are not set; SMAP and protection keys are
 * not checked. PAE PDPTEs are read from memory rather than from the copy a
 * CPU caches at the CR3 load.
 */
#ifndef HV_GUEST_WALK_H
#define HV_GUEST_WALK_H

#include "types.h"
#include "hv/runner/guest_image.h"

/* The guest's paging controls, as the vCPU has them. */
struct guest_paging {
	u64 cr0, cr3, cr4, efer;
	u8 maxphyaddr; /* physical address width; 0 means 52 */
};

/* Page-fault error code bits; the access flags use the same positions. */
#define PFEC_PRESENT (1u << 0) /* 0: page not present, 1: protection or reserved bit */
#define PFEC_WRITE   (1u << 1)
#define PFEC_USER    (1u << 2)
#define PFEC_RSVD    (1u << 3)
#define PFEC_FETCH   (1u << 4)

enum guest_access {
	GUEST_READ = 0,
	GUEST_WRITE = PFEC_WRITE,
	GUEST_USER = PFEC_USER,   /* CPL 3; combine with the others */
	GUEST_FETCH = PFEC_FETCH,
};

/*
 * Reads len bytes of guest-physical memory at gpa (never across a page
 * boundary) into dst. Returns false when no RAM backs gpa.
 */
typedef bool (*guest_read_fn)(void *ctx, u64 gpa, void *dst, u64 len);

enum guest_walk_status {
	GUEST_WALK_OK = 0,
	GUEST_WALK_PAGE_FAULT = -1,   /* the guest takes #PF: pfec says why */
	GUEST_WALK_NO_MEMORY = -2,    /* a table or the data is not in guest RAM: bad_gpa */
	GUEST_WALK_NOT_CANONICAL = -3,/* long mode: the guest takes #GP */
};

struct guest_walk {
	u64 gpa;       /* OK: the translation */
	u64 page_size; /* OK: 4K, 2M, 4M or 1G */
	u32 pfec;      /* PAGE_FAULT: the error code to inject (CR2 = the address) */
	u64 bad_gpa;   /* NO_MEMORY: the guest-physical address that had no RAM */
};

/* Translates gla for an access (enum guest_access flags). Returns an enum guest_walk_status. */
int guest_walk(const struct guest_paging *pg, u64 gla, u32 access, guest_read_fn read, void *ctx,
	       struct guest_walk *out);

/*
 * Copies len bytes at gla into dst, translating page by page. Returns the
 * number of bytes copied: len, or fewer when a page could not be reached,
 * with the reason in *fault (a status as guest_walk returns, and its
 * details in *walk). An instruction fetch can decode from what was copied
 * and raise the fault only if it needs more.
 */
u32 guest_read_linear(const struct guest_paging *pg, u64 gla, u32 access, void *dst, u32 len,
		      guest_read_fn read, void *ctx, int *fault, struct guest_walk *walk);

/* The same in the other direction: copies src to gla (a GUEST_WRITE access),
 * reading the tables with `read` and writing the data, a page's part at a
 * time, with `write` (hv/runner/guest_image.h's writer). */
u32 guest_write_linear(const struct guest_paging *pg, u64 gla, u32 access, const void *src, u32 len,
		       guest_read_fn read, guest_write_fn write, void *ctx, int *fault, struct guest_walk *walk);

#endif
