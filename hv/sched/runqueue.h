/*
 * Run-queue bookkeeping, portable (unit-tested on the host): an intrusive
 * doubly linked list of nodes with a key, used FIFO for ready threads and
 * sorted by key (a deadline) for timed sleepers; plus the placement rule
 * for threads that may run anywhere. No locking here: the caller holds the
 * owning CPU's lock.
 */
#ifndef HV_RUNQUEUE_H
#define HV_RUNQUEUE_H

#include "types.h"

struct rq_node {
	struct rq_node *prev, *next; /* both NULL when on no queue */
	u64 key;                     /* sorted queues: wake-up deadline */
};

struct rq {
	struct rq_node head; /* sentinel: head.next is the first node */
	u32 len;
};

void rq_init(struct rq *q);
bool rq_empty(const struct rq *q);
bool rq_node_queued(const struct rq_node *n);
void rq_push_back(struct rq *q, struct rq_node *n);
/* Inserts n after every node whose key is <= n->key (FIFO among equal keys). */
void rq_insert_sorted(struct rq *q, struct rq_node *n);
/* The first node, or NULL. */
struct rq_node *rq_first(const struct rq *q);
struct rq_node *rq_pop_front(struct rq *q);
void rq_remove(struct rq *q, struct rq_node *n);

/*
 * Where a thread that may run on any CPU goes: the online CPU with the
 * least load (load[i]: ready threads plus one if busy), ties going to
 * `prefer` and then to the lowest index. n CPUs; prefer must be online.
 */
u32 rq_pick_cpu(const u32 *load, const bool *online, u32 n, u32 prefer);

#endif
