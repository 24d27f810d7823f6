/* Intrusive queues for the scheduler (see runqueue.h). */
#include "hv/sched/runqueue.h"

void rq_init(struct rq *q)
{
	q->head.prev = q->head.next = &q->head;
	q->len = 0;
}

bool rq_empty(const struct rq *q)
{
	return q->len == 0;
}

bool rq_node_queued(const struct rq_node *n)
{
	return n->next != NULL;
}

static void insert_before(struct rq *q, struct rq_node *pos, struct rq_node *n)
{
	n->next = pos;
	n->prev = pos->prev;
	pos->prev->next = n;
	pos->prev = n;
	q->len++;
}

void rq_push_back(struct rq *q, struct rq_node *n)
{
	insert_before(q, &q->head, n);
}

void rq_insert_sorted(struct rq *q, struct rq_node *n)
{
	struct rq_node *pos = q->head.next;
	while (pos != &q->head && pos->key <= n->key)
		pos = pos->next;
	insert_before(q, pos, n);
}

struct rq_node *rq_first(const struct rq *q)
{
	return q->len ? q->head.next : NULL;
}

void rq_remove(struct rq *q, struct rq_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
	q->len--;
}

struct rq_node *rq_pop_front(struct rq *q)
{
	struct rq_node *n = rq_first(q);
	if (n)
		rq_remove(q, n);
	return n;
}

u32 rq_pick_cpu(const u32 *load, const bool *online, u32 n, u32 prefer)
{
	u32 best = prefer;
	for (u32 i = 0; i < n; i++)
		if (online[i] && load[i] < load[best])
			best = i;
	return best;
}
