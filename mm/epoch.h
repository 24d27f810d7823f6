/*
 * Epoch-based read sections (SRCU-like) for memslot snapshots and zapped
 * table pages. A reader announces the epoch it entered in; synchronize()
 * starts a new epoch and waits until no reader is still inside an older
 * one. Each reader slot belongs to one thread at a time (a vCPU).
 */
#ifndef MM_EPOCH_H
#define MM_EPOCH_H

#include "types.h"

struct epoch_reader {
	u64 entered;   /* epoch this reader entered in, 0 = outside */
	u32 nesting;   /* only its owner touches it */
	u8 pad[52];    /* one cache line each: readers do not share lines */
} __attribute__((aligned(64)));

struct epoch {
	u64 now;       /* starts at 1 */
	u32 nreaders;
	struct epoch_reader *readers;
};

void epoch_init(struct epoch *e, struct epoch_reader *readers, u32 nreaders);
void epoch_enter(struct epoch *e, struct epoch_reader *r);
void epoch_leave(struct epoch_reader *r);
/* Wait until every read section that began before this call has ended. */
void epoch_synchronize(struct epoch *e);

#endif
