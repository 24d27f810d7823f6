/* The spinlock gives mutual exclusion between real threads and trylock fails while held. */
#include "tests/unit/unit.h"
#include <pthread.h>

#include "mm/spinlock.h"

#define THREADS 4
#define ROUNDS 200000

static struct spinlock lock = SPINLOCK_INIT;
static u64 counter; /* protected by lock; a plain ++ loses updates without it */

static void *hammer(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		spin_lock(&lock);
		u64 v = counter;
		__asm__ __volatile__("" ::: "memory"); /* keep the read-modify-write split */
		counter = v + 1;
		spin_unlock(&lock);
	}
	return arg;
}

static void test_threads_never_lose_an_update(void **state)
{
	pthread_t t[THREADS];
	counter = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(counter, (u64)THREADS * ROUNDS);
	assert_false(spin_is_locked(&lock));
}

static void test_trylock_fails_while_held(void **state)
{
	struct spinlock l;
	spin_init(&l);
	assert_true(spin_trylock(&l));
	assert_true(spin_is_locked(&l));
	assert_false(spin_trylock(&l));
	spin_unlock(&l);
	assert_true(spin_trylock(&l));
	spin_unlock(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_never_lose_an_update),
		cmocka_unit_test(test_trylock_fails_while_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
