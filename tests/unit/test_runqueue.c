/* Run-queue bookkeeping: FIFO order, deadline order, removal, CPU placement. */
#include "tests/unit/unit.h"

#include "hv/sched/runqueue.h"

static struct rq_node nodes[8];

static void test_fifo(void **state)
{
	struct rq q;
	rq_init(&q);
	assert_true(rq_empty(&q));
	assert_null(rq_pop_front(&q));
	for (int i = 0; i < 4; i++)
		rq_push_back(&q, &nodes[i]);
	assert_int_equal(q.len, 4);
	assert_true(rq_node_queued(&nodes[2]));
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(rq_pop_front(&q), &nodes[i]);
	assert_true(rq_empty(&q));
	assert_false(rq_node_queued(&nodes[0]));
}

static void test_remove_middle_and_ends(void **state)
{
	struct rq q;
	rq_init(&q);
	for (int i = 0; i < 5; i++)
		rq_push_back(&q, &nodes[i]);
	rq_remove(&q, &nodes[2]);
	rq_remove(&q, &nodes[0]);
	rq_remove(&q, &nodes[4]);
	assert_int_equal(q.len, 2);
	assert_false(rq_node_queued(&nodes[2]));
	assert_ptr_equal(rq_pop_front(&q), &nodes[1]);
	assert_ptr_equal(rq_pop_front(&q), &nodes[3]);
	assert_null(rq_pop_front(&q));
	/* A removed node can be queued again. */
	rq_push_back(&q, &nodes[2]);
	assert_ptr_equal(rq_first(&q), &nodes[2]);
}

static void test_sorted_by_deadline(void **state)
{
	struct rq q;
	rq_init(&q);
	const u64 keys[] = { 50, 10, 30, 10, 70, 0 };
	for (int i = 0; i < 6; i++) {
		nodes[i].key = keys[i];
		rq_insert_sorted(&q, &nodes[i]);
	}
	/* Ascending, and the two 10s in insertion order. */
	const int want[] = { 5, 1, 3, 2, 0, 4 };
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(rq_pop_front(&q), &nodes[want[i]]);
}

static void test_pick_cpu(void **state)
{
	u32 load[4] = { 2, 1, 0, 0 };
	bool online[4] = { true, true, true, true };
	assert_int_equal(rq_pick_cpu(load, online, 4, 0), 2);  /* least loaded, lowest index */
	assert_int_equal(rq_pick_cpu(load, online, 4, 3), 3);  /* a tie keeps the preferred CPU */
	online[2] = online[3] = false;                         /* offline CPUs never chosen */
	assert_int_equal(rq_pick_cpu(load, online, 4, 0), 1);
	load[1] = 2;
	assert_int_equal(rq_pick_cpu(load, online, 4, 1), 1);
	assert_int_equal(rq_pick_cpu(load, online, 1, 0), 0);  /* one CPU */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_remove_middle_and_ends),
		cmocka_unit_test(test_sorted_by_deadline),
		cmocka_unit_test(test_pick_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
