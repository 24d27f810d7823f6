/*
 * The scheduler self-test. Each case can fail: a thread that never runs,
 * runs on the wrong CPU, misses a wake-up, is never preempted or sleeps the
 * wrong time shows up as "not ok" (waits are bounded, nothing hangs).
 */
#include "hv/sched/sched_selftest.h"
#include "hv/console/console.h"
#include "hv/console/printf.h"
#include "hv/hv_exit.h"
#include "hv/cpu/irq.h"
#include "hv/cpu/kick.h"
#include "hv/sched/sched.h"
#include "hv/cpu/smp.h"
#include "hv/cpu/time.h"
#include "kstring.h"
#include "mm/page_alloc.h"

#define WAIT_LIMIT_NS (5 * NSEC_PER_SEC)
#define SPIN_LIMIT_NS (3 * NSEC_PER_SEC)
#define PING_PONG_ROUNDS 200
#define SLEEP_NS (30 * NSEC_PER_MSEC)
#define SLEEP_SLACK_NS (20 * NSEC_PER_SEC / SCHED_HZ) /* 20 ticks: emulators on a busy host lag */
#define POLL_NS NSEC_PER_MSEC

static u32 tap_number, tap_failed;

static void tap(bool ok, const char *what)
{
	tap_number++;
	tap_failed += !ok;
	kprintf("%s %u - %s\n", ok ? "ok" : "not ok", tap_number, what);
}

static u32 cpu_now(void)
{
	u64 f = irq_save();
	u32 id = this_cpu()->id;
	irq_restore(f);
	return id;
}

/* Sleeps in small steps until *counter reaches want or the time runs out. */
static bool wait_count(u32 *counter, u32 want)
{
	u64 end = time_now_ns() + WAIT_LIMIT_NS;
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want)
		if (time_now_ns() >= end)
			return false;
		else
			sched_sleep_ns(POLL_NS);
	return true;
}

static void spawn(const char *name, void (*fn)(void *), void *arg, int cpu)
{
	if (!kthread_create(name, fn, arg, cpu))
		kprintf("# out of memory creating %s\n", name);
}

/* 1: a thread pinned to each CPU runs there. */
static u32 pinned_ran_on[MAX_CPUS], pinned_done;

static void pinned_fn(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	pinned_ran_on[i] = cpu_now();
	__atomic_add_fetch(&pinned_done, 1, __ATOMIC_RELEASE);
}

static void test_pinned(void)
{
	for (u32 i = 0; i < cpu_count; i++) {
		pinned_ran_on[i] = ~0u;
		spawn("st-pinned", pinned_fn, (void *)(uintptr_t)i, (int)i);
	}
	bool ok = wait_count(&pinned_done, cpu_count);
	for (u32 i = 0; i < cpu_count; i++)
		if (pinned_ran_on[i] != i) {
			kprintf("# thread pinned to CPU %u ran on %d\n", i, (int)pinned_ran_on[i]);
			ok = false;
		}
	tap(ok, "a thread pinned to each CPU runs there");
}

/* 2: two threads on different CPUs hand a turn back and forth with block/wake only. */
static struct {
	struct thread *side[2];
	u32 go, turn, rounds[2], wrong_cpu, done;
	u32 cpu[2];
} pp;

static void ping_pong_fn(void *arg)
{
	u32 me = (u32)(uintptr_t)arg;
	while (!__atomic_load_n(&pp.go, __ATOMIC_ACQUIRE))
		sched_sleep_ns(POLL_NS); /* until main has published both thread pointers */
	for (u32 r = 0; r < PING_PONG_ROUNDS; r++) {
		while (__atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) != me)
			sched_block(0);
		if (cpu_now() != pp.cpu[me])
			pp.wrong_cpu++;
		pp.rounds[me]++;
		__atomic_store_n(&pp.turn, 1 - me, __ATOMIC_RELEASE);
		sched_wake(pp.side[1 - me]);
	}
	__atomic_add_fetch(&pp.done, 1, __ATOMIC_RELEASE);
}

static void test_ping_pong(void)
{
	pp.cpu[0] = 0;
	pp.cpu[1] = cpu_count - 1;
	for (u32 s = 0; s < 2; s++)
		pp.side[s] = kthread_create("st-pingpong", ping_pong_fn, (void *)(uintptr_t)s, (int)pp.cpu[s]);
	bool ok = pp.side[0] && pp.side[1];
	if (ok) {
		__atomic_store_n(&pp.go, 1, __ATOMIC_RELEASE);
		ok = wait_count(&pp.done, 2);
	}
	ok = ok && pp.rounds[0] == PING_PONG_ROUNDS && pp.rounds[1] == PING_PONG_ROUNDS && !pp.wrong_cpu;
	if (!ok)
		kprintf("# rounds %u/%u of %u, %u on the wrong CPU\n", pp.rounds[0], pp.rounds[1],
			PING_PONG_ROUNDS, pp.wrong_cpu);
	char what[96];
	ksnprintf(what, sizeof(what), "ping-pong between CPU 0 and CPU %u, %u rounds of block/wake",
		  pp.cpu[1], PING_PONG_ROUNDS);
	tap(ok, what);
}

/* 3: a thread spinning with interrupts on does not keep another off its CPU. */
static u32 spin_started[MAX_CPUS], spin_stop[MAX_CPUS], spin_stopped, spin_gave_up;

static void spinner_fn(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	u64 end = time_now_ns() + SPIN_LIMIT_NS;
	__atomic_store_n(&spin_started[i], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&spin_stop[i], __ATOMIC_ACQUIRE))
		if (time_now_ns() >= end) {
			__atomic_add_fetch(&spin_gave_up, 1, __ATOMIC_RELAXED);
			break;
		}
	__atomic_add_fetch(&spin_stopped, 1, __ATOMIC_RELEASE);
}

static void stopper_fn(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	while (!__atomic_load_n(&spin_started[i], __ATOMIC_ACQUIRE))
		sched_sleep_ns(POLL_NS); /* the spinner runs first: only preemption brings us back */
	__atomic_store_n(&spin_stop[i], 1, __ATOMIC_RELEASE);
}

static void test_preemption(void)
{
	for (u32 i = 0; i < cpu_count; i++) {
		spawn("st-spinner", spinner_fn, (void *)(uintptr_t)i, (int)i);
		spawn("st-stopper", stopper_fn, (void *)(uintptr_t)i, (int)i);
	}
	bool ok = wait_count(&spin_stopped, cpu_count) && spin_gave_up == 0;
	if (!ok)
		kprintf("# %u of %u spinners stopped, %u gave up waiting\n", spin_stopped, cpu_count, spin_gave_up);
	tap(ok, "a thread spinning with interrupts on is preempted on every CPU");
}

/* 4: timed sleeps on every CPU last at least what was asked, and not much more. */
static u64 slept_ns[MAX_CPUS];
static u32 sleepers_done;

static void sleeper_fn(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	u64 start = time_now_ns();
	sched_sleep_ns(SLEEP_NS);
	slept_ns[i] = time_now_ns() - start;
	__atomic_add_fetch(&sleepers_done, 1, __ATOMIC_RELEASE);
}

static void test_timed_sleep(void)
{
	for (u32 i = 0; i < cpu_count; i++)
		spawn("st-sleeper", sleeper_fn, (void *)(uintptr_t)i, (int)i);
	bool ok = wait_count(&sleepers_done, cpu_count);
	u64 lo = ~0ull, hi = 0;
	for (u32 i = 0; i < cpu_count && ok; i++) {
		lo = MIN(lo, slept_ns[i]);
		hi = MAX(hi, slept_ns[i]);
	}
	ok = ok && lo >= SLEEP_NS && hi <= SLEEP_NS + SLEEP_SLACK_NS;
	kprintf("# asked %lu us, slept %lu-%lu us\n", (unsigned long)(SLEEP_NS / NSEC_PER_USEC),
		(unsigned long)(lo / NSEC_PER_USEC), (unsigned long)(hi / NSEC_PER_USEC));
	tap(ok, "timed sleeps on every CPU last the time asked (to within 20 ticks)");
}

/* 5: unpinned workers are spread over the CPUs. */
static u32 worker_cpu[MAX_CPUS], workers_started, workers_done;

static void worker_fn(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	worker_cpu[i] = cpu_now();
	__atomic_add_fetch(&workers_started, 1, __ATOMIC_RELEASE);
	u64 end = time_now_ns() + SPIN_LIMIT_NS;
	while (__atomic_load_n(&workers_started, __ATOMIC_ACQUIRE) < cpu_count && time_now_ns() < end)
		cpu_relax(); /* stay busy so the next worker finds this CPU loaded */
	__atomic_add_fetch(&workers_done, 1, __ATOMIC_RELEASE);
}

static void test_placement(void)
{
	for (u32 i = 0; i < cpu_count; i++)
		spawn("st-worker", worker_fn, (void *)(uintptr_t)i, KTHREAD_ANY_CPU);
	bool ok = wait_count(&workers_done, cpu_count);
	bool seen[MAX_CPUS] = { false };
	u32 distinct = 0;
	for (u32 i = 0; i < cpu_count && ok; i++)
		if (worker_cpu[i] < MAX_CPUS && !seen[worker_cpu[i]]) {
			seen[worker_cpu[i]] = true;
			distinct++;
		}
	ok = ok && distinct == cpu_count;
	kprintf("# %u unpinned workers ran on %u distinct CPU(s)\n", cpu_count, distinct);
	tap(ok, "unpinned workers are placed on the least loaded CPUs");
}

/* 6: a kick IPI gets a (simulated) vCPU out of guest mode on every CPU. */
static struct guest_presence sim_vcpu[MAX_CPUS];
static u32 sim_kicked, sim_done;

/* Plays a vCPU thread: "in guest mode" until a kick IPI arrives on its CPU. */
static void sim_vcpu_fn(void *arg)
{
	u32 i = (u32)(uintptr_t)arg;
	u64 before = kicks_received(i), end = time_now_ns() + SPIN_LIMIT_NS;
	guest_presence_enter(&sim_vcpu[i]);
	while (kicks_received(i) == before && time_now_ns() < end)
		cpu_relax(); /* interrupts on: the kick arrives like the exit it would force */
	if (kicks_received(i) != before)
		__atomic_add_fetch(&sim_kicked, 1, __ATOMIC_RELAXED);
	guest_presence_leave(&sim_vcpu[i]);
	__atomic_add_fetch(&sim_done, 1, __ATOMIC_RELEASE);
}

static void test_kick(void)
{
	bool ok = true;
	for (u32 i = 0; i < cpu_count && ok; i++) {
		sim_vcpu[i].cpu = i;
		spawn("st-vcpu", sim_vcpu_fn, (void *)(uintptr_t)i, (int)i);
		u64 end = time_now_ns() + WAIT_LIMIT_NS;
		while (!guest_presence_in_guest(&sim_vcpu[i]) && time_now_ns() < end)
			sched_sleep_ns(POLL_NS);
		ok = guest_presence_in_guest(&sim_vcpu[i]);
		if (ok)
			guest_kick_and_wait(&sim_vcpu[i]);
	}
	ok = ok && wait_count(&sim_done, cpu_count) && sim_kicked == cpu_count;
	if (!ok)
		kprintf("# %u of %u simulated vCPUs saw their kick\n", sim_kicked, cpu_count);
	tap(ok, "a kick IPI gets a vCPU out of guest mode on every CPU");
}

/* 7: smp_on_each_cpu runs a function once on every CPU and waits for all. */
static u32 each_visits[MAX_CPUS], each_wrong;

static void count_visit(void *arg)
{
	u64 f = irq_save();
	struct percpu *c = this_cpu();
	irq_restore(f);
	__atomic_add_fetch(&each_visits[c->id], 1, __ATOMIC_RELAXED);
	if (arg != &each_visits)
		each_wrong++;
}

static void test_on_each_cpu(void)
{
	smp_on_each_cpu(count_visit, &each_visits); /* returns only when every call has */
	bool ok = each_wrong == 0;
	for (u32 i = 0; i < cpu_count; i++)
		ok &= __atomic_load_n(&each_visits[i], __ATOMIC_RELAXED) == 1;
	tap(ok, "smp_on_each_cpu runs a function once on every CPU and waits for it");
}

/* 8: exited threads' stacks go back to the page allocator. */
/* 9: a wake-up that comes while the thread is READY (not running, not blocked) is kept. */
static u32 early_woken;

static void early_wake_fn(void *arg)
{
	sched_block(0); /* it was woken before it ever ran: this must return at once */
	__atomic_store_n(&early_woken, 1, __ATOMIC_RELEASE);
}

static void test_wake_while_ready(void)
{
	/* Interrupts off: the new thread cannot run (it shares our CPU) before the wake. */
	u64 f = irq_save();
	struct thread *t = kthread_create("early-wake", early_wake_fn, NULL, (int)this_cpu()->id);
	if (t)
		sched_wake(t);
	irq_restore(f);
	bool ok = t && wait_count(&early_woken, 1);
	tap(ok, "a wake-up that comes while the thread is ready is not lost");
	if (t && !ok)
		sched_wake(t); /* it is blocked for good: let it finish so its stack is freed */
}

/* 10: kthread_join returns after the thread ran, with its stack already freed. */
static u32 joined_ran;

static void joined_fn(void *arg)
{
	sched_sleep_ns(SLEEP_NS); /* the joiner blocks meanwhile */
	__atomic_store_n(&joined_ran, 1, __ATOMIC_RELEASE);
}

static void test_join(void)
{
	u64 before = palloc_free_pages();
	int cpu = (int)((cpu_now() + 1) % cpu_count);
	struct thread *t = kthread_create_joinable("st-joined", joined_fn, NULL, cpu);
	if (t)
		kthread_join(t);
	bool ok = t && __atomic_load_n(&joined_ran, __ATOMIC_ACQUIRE) && palloc_free_pages() == before;
	tap(ok, "kthread_join waits for the thread and frees its stack");
}

static void test_stacks_freed(u64 free_before)
{
	u64 end = time_now_ns() + WAIT_LIMIT_NS;
	while (palloc_free_pages() != free_before && time_now_ns() < end)
		sched_sleep_ns(POLL_NS);
	u64 now = palloc_free_pages();
	if (now != free_before)
		kprintf("# free pages %lu before the threads, %lu after\n", (unsigned long)free_before,
			(unsigned long)now);
	tap(now == free_before, "exited threads' stacks are freed");
}

int sched_selftest(void)
{
	u64 free_before = palloc_free_pages();
	kprintf("hv: sched self-test on %u CPU(s)\n1..10\n", cpu_count);
	test_pinned();
	test_ping_pong();
	test_preemption();
	test_timed_sleep();
	test_placement();
	test_kick();
	test_on_each_cpu();
	test_wake_while_ready();
	test_join();
	test_stacks_freed(free_before);
	kprintf("hv: sched self-test: %u passed, %u failed\n", tap_number - tap_failed, tap_failed);
	return tap_failed ? HV_EXIT_FAILED : HV_EXIT_OK;
}
