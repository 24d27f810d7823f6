/* Per-CPU round-robin scheduler with timer preemption (see sched.h). */
#include "hv/sched/sched.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/irq.h"
#include "hv/cpu/lapic.h"
#include "hv/panic.h"
#include "hv/cpu/time.h"

#define TICK_NS (NSEC_PER_SEC / SCHED_HZ)

/* In hv/sched/switch.asm. */
void context_switch(u64 *prev_sp, u64 next_sp, u32 *prev_on_cpu);

static struct thread boot_threads[MAX_CPUS]; /* each CPU's boot context as a thread */
static bool sched_running; /* before sched_init_bsp there is no this_cpu() and nothing to yield to */

static struct thread *thread_of(struct rq_node *n)
{
	return (struct thread *)((char *)n - __builtin_offsetof(struct thread, node));
}

static void cpu_init_queues(struct percpu *c)
{
	spin_init(&c->lock);
	rq_init(&c->ready);
	rq_init(&c->sleepers);
	rq_init(&c->zombies);
}

/* c->lock held. */
static void push_ready(struct percpu *c, struct thread *t)
{
	t->state = THREAD_READY;
	t->cpu = c->id;
	rq_push_back(&c->ready, &t->node);
	__atomic_store_n(&c->nr_ready, c->ready.len, __ATOMIC_RELAXED);
}

static struct thread *pop_ready(struct percpu *c)
{
	struct rq_node *n = rq_pop_front(&c->ready);
	__atomic_store_n(&c->nr_ready, c->ready.len, __ATOMIC_RELAXED);
	return n ? thread_of(n) : NULL;
}

/* An exited thread of CPU c that no CPU runs on any more, taken off zombies; or NULL. Interrupts off. */
static struct thread *take_zombie(struct percpu *c)
{
	spin_lock(&c->lock);
	struct rq_node *n = rq_first(&c->zombies);
	struct thread *t = n ? thread_of(n) : NULL;
	if (t && __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		t = NULL; /* still switching away: a later pass frees it */
	if (t)
		rq_remove(&c->zombies, &t->node);
	spin_unlock(&c->lock);
	return t;
}

/*
 * The heart of it: with interrupts off and c->lock held, puts the current
 * thread back on the ready queue if it is still runnable (a blocked one is
 * on no queue or on sleepers, a dead one on zombies), picks the next ready
 * thread or the idle thread, drops the lock and switches. Returns when the
 * previous thread is switched back in, on whatever CPU that is.
 */
static void schedule_locked(struct percpu *c)
{
	struct thread *prev = c->current;
	kthread_check_canary(prev);
	c->need_resched = 0;
	if (prev->state == THREAD_RUNNING && prev != c->idle)
		push_ready(c, prev);
	else if (prev->state == THREAD_DEAD && !prev->joinable)
		rq_push_back(&c->zombies, &prev->node); /* a joinable one is freed by its joiner */
	struct thread *next = pop_ready(c);
	if (!next)
		next = c->idle;
	next->state = THREAD_RUNNING;
	next->cpu = c->id;
	c->current = next;
	c->slice_start = c->ticks;
	spin_unlock(&c->lock);
	if (next == prev)
		return;
	/* next may have been woken here while still switching out on another CPU. */
	while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
		spin_pause();
	next->on_cpu = 1;
	context_switch(&prev->sp, next->sp, &prev->on_cpu);
}

/*
 * The idle thread: runs whatever became ready, frees exited threads' stacks
 * (here, with interrupts on: palloc's lock may be held by a preempted
 * thread), and otherwise halts until an interrupt.
 */
static void idle_loop(void *unused)
{
	for (;;) {
		cli();
		struct percpu *c = this_cpu();
		if (__atomic_load_n(&c->nr_ready, __ATOMIC_RELAXED)) {
			spin_lock(&c->lock);
			schedule_locked(c);
			sti();
			continue;
		}
		struct thread *dead = take_zombie(c);
		if (dead) {
			sti();
			kthread_free(dead);
			continue;
		}
		__asm__ volatile("sti; hlt" ::: "memory"); /* sti's shadow: no wake-up is lost before hlt */
	}
}

void sched_init_bsp(void)
{
	struct percpu *c = this_cpu();
	cpu_init_queues(c);
	kthread_adopt(&boot_threads[c->id], "main", c->id);
	c->current = &boot_threads[c->id];
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	c->idle = kthread_new("idle0", idle_loop, NULL, true);
	if (!c->idle)
		panic("out of memory for CPU 0's idle thread");
	c->idle->cpu = c->id;
	sched_running = true;
}

/*
 * The host APIC timer runs one-shot, armed for whichever comes first on
 * this CPU: the next scheduler tick, the earliest timed wait, or the
 * running vCPU's APIC timer (its guest deadline). So a timed wait or a
 * guest timer ends when due, not at the next tick. Interrupts off, c->lock held.
 */
static void rearm(struct percpu *c, bool force)
{
	u64 when = c->next_tick_ns;
	struct rq_node *n = rq_first(&c->sleepers);

	if (n && n->key < when)
		when = n->key;
	if (c->guest_deadline_ns && c->guest_deadline_ns < when)
		when = c->guest_deadline_ns;
	if (!force && when == c->armed_ns)
		return;
	c->armed_ns = when;
	u64 now = time_now_ns();
	lapic_timer_oneshot_ns(when > now ? when - now : 0);
}

void sched_start_tick(void)
{
	u64 f = irq_save();
	struct percpu *c = this_cpu();
	spin_lock(&c->lock);
	c->next_tick_ns = time_now_ns() + TICK_NS;
	rearm(c, true);
	spin_unlock(&c->lock);
	irq_restore(f);
	sti();
}

void sched_set_guest_deadline(u64 deadline_ns)
{
	struct percpu *c = this_cpu();
	if (deadline_ns == c->guest_deadline_ns)
		return;
	spin_lock(&c->lock);
	c->guest_deadline_ns = deadline_ns;
	rearm(c, false);
	spin_unlock(&c->lock);
}

void sched_run_ap(void)
{
	struct percpu *c = this_cpu();
	cpu_init_queues(c);
	kthread_adopt(&boot_threads[c->id], "idle", c->id);
	c->current = c->idle = &boot_threads[c->id];
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	sched_start_tick();
	idle_loop(NULL);
	__builtin_unreachable();
}

struct thread *sched_current(void)
{
	u64 f = irq_save();
	struct thread *t = this_cpu()->current;
	irq_restore(f);
	return t;
}

void sched_yield(void)
{
	if (!sched_running) {
		cpu_relax();
		return;
	}
	u64 f = irq_save();
	struct percpu *c = this_cpu();
	spin_lock(&c->lock);
	schedule_locked(c);
	irq_restore(f);
}

bool sched_block(u64 deadline_ns)
{
	u64 f = irq_save();
	struct percpu *c = this_cpu();
	struct thread *t = c->current;
	spin_lock(&c->lock);
	if (t->wake_pending) {
		t->wake_pending = false;
		spin_unlock(&c->lock);
		irq_restore(f);
		return true;
	}
	t->state = THREAD_BLOCKED;
	if (deadline_ns) {
		t->node.key = deadline_ns;
		rq_insert_sorted(&c->sleepers, &t->node);
		rearm(c, false);
	}
	schedule_locked(c);
	/* Woken by sched_wake (wake_pending stays clear) or by the tick at the deadline. */
	bool woken = !deadline_ns || time_now_ns() < deadline_ns;
	irq_restore(f);
	return woken;
}

void sched_sleep_ns(u64 ns)
{
	u64 deadline = time_now_ns() + ns;
	while (time_now_ns() < deadline)
		sched_block(deadline);
}

/* Locks the CPU that currently owns t (t->cpu can change until we hold its lock). */
static struct percpu *lock_owner(struct thread *t)
{
	for (;;) {
		struct percpu *c = &percpu_table[__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE)];
		spin_lock(&c->lock);
		if (t->cpu == c->id)
			return c;
		spin_unlock(&c->lock);
	}
}

/* Least loaded online CPU, preferring `prefer` on a tie. */
static u32 pick_cpu(u32 prefer)
{
	u32 load[MAX_CPUS];
	bool online[MAX_CPUS];
	for (u32 i = 0; i < cpu_count; i++) {
		struct percpu *c = &percpu_table[i];
		online[i] = __atomic_load_n(&c->online, __ATOMIC_ACQUIRE);
		load[i] = __atomic_load_n(&c->nr_ready, __ATOMIC_RELAXED) + (c->current != c->idle);
	}
	return rq_pick_cpu(load, online, cpu_count, prefer);
}

/* Tells CPU c it has new work: an IPI when another CPU is idle, a flag here. */
static void kick(struct percpu *c)
{
	struct percpu *me = this_cpu();
	if (c == me)
		c->need_resched |= c->current == c->idle;
	else if (__atomic_load_n(&c->current, __ATOMIC_RELAXED) == c->idle)
		lapic_send_ipi(c->apic_id, VECTOR_RESCHEDULE);
}

/* Puts t (not on any queue, state set by the caller) on CPU target's ready queue. */
static void enqueue_on(struct thread *t, u32 target)
{
	struct percpu *d = &percpu_table[target];
	spin_lock(&d->lock);
	push_ready(d, t);
	spin_unlock(&d->lock);
	kick(d);
}

void sched_enqueue_new(struct thread *t, int cpu)
{
	u64 f = irq_save();
	u32 target = cpu == KTHREAD_ANY_CPU ? pick_cpu(this_cpu()->id) : (u32)cpu;
	t->cpu = target;
	enqueue_on(t, target);
	irq_restore(f);
}

void sched_wake(struct thread *t)
{
	u64 f = irq_save();
	struct percpu *c = lock_owner(t);
	if (t->state != THREAD_BLOCKED) {
		/* Running, preempted (READY) or already waking: its next block must not sleep
		 * through this wake-up (a thread preempted between its check and its block). */
		t->wake_pending = true;
		spin_unlock(&c->lock);
		irq_restore(f);
		return;
	}
	if (rq_node_queued(&t->node))
		rq_remove(&c->sleepers, &t->node); /* a timed wait, ended early */
	u32 target = t->pinned ? c->id : pick_cpu(c->id);
	t->state = THREAD_WAKING;
	t->cpu = target; /* from here other wakers lock the target, and see WAKING or READY */
	spin_unlock(&c->lock);
	enqueue_on(t, target);
	irq_restore(f);
}

bool sched_should_yield(void)
{
	if (!sched_running)
		return false;
	u64 f = irq_save();
	struct percpu *c = this_cpu();
	bool yes = c->need_resched ||
		   (c->nr_ready && c->ticks - c->slice_start >= SCHED_SLICE_TICKS);
	irq_restore(f);
	return yes;
}

void sched_tick(void)
{
	struct percpu *c = this_cpu();
	u64 now = time_now_ns();
	spin_lock(&c->lock);
	if (now >= c->next_tick_ns) {
		c->ticks++;
		c->next_tick_ns += TICK_NS;
		if (c->next_tick_ns <= now)
			c->next_tick_ns = now + TICK_NS; /* ticks lost (an emulator's pause): no burst */
	}
	if (c->guest_deadline_ns <= now)
		c->guest_deadline_ns = 0; /* it forced its exit; the vCPU sets the next one */
	struct rq_node *n;
	while ((n = rq_first(&c->sleepers)) && n->key <= now) {
		rq_remove(&c->sleepers, n);
		push_ready(c, thread_of(n));
	}
	if (c->ready.len && (c->current == c->idle || c->ticks - c->slice_start >= SCHED_SLICE_TICKS))
		c->need_resched = 1;
	rearm(c, true);
	spin_unlock(&c->lock);
}

void sched_request_resched(void)
{
	this_cpu()->need_resched = 1;
}

void sched_preempt_point(void)
{
	struct percpu *c = this_cpu();
	/* The idle thread is never preempted: it looks at the ready queue itself,
	 * and preempted while freeing a stack (palloc's lock held) it would never
	 * run again while a ready thread spins on that lock. */
	if (!c->need_resched || c->current == c->idle)
		return;
	spin_lock(&c->lock);
	schedule_locked(c);
}

void sched_exit_current(void)
{
	struct percpu *c = this_cpu();
	spin_lock(&c->lock);
	c->current->state = THREAD_DEAD;
	schedule_locked(c);
	panic("a dead thread was scheduled again");
}
