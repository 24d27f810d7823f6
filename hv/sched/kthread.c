/* Kernel thread creation, start and exit. Scheduling itself is in sched.c. */
#include "hv/sched/kthread.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/irq.h"
#include "hv/panic.h"
#include "hv/cpu/percpu.h"
#include "hv/sched/sched.h"
#include "kstring.h"
#include "mm/page_alloc.h"

#define THREAD_CANARY 0x5AFE57ACC0FFEE00ull

/* In hv/sched/switch.asm: where a new thread's first context_switch returns to. */
extern void kthread_entry(void);

static u32 next_thread_id;

static void set_name(struct thread *t, const char *name)
{
	size_t n = MIN(strlen(name), (size_t)KTHREAD_NAME_MAX - 1);
	memcpy(t->name, name, n);
	t->name[n] = '\0';
}

/* Stack layout context_switch pops: r15 r14 r13 r12 rbx rbp rflags, then returns.
 * A new thread starts with IF clear; kthread_first_run enables interrupts. */
struct initial_frame {
	u64 r15, r14, r13, r12, rbx, rbp, rflags, ret;
};

struct thread *kthread_new(const char *name, void (*fn)(void *), void *arg, bool pinned)
{
	u64 base = palloc(KSTACK_SIZE / PAGE_SIZE, PAGE_SIZE);
	if (!base)
		return NULL;
	struct thread *t = (struct thread *)(uintptr_t)base;
	memset(t, 0, sizeof(*t));
	set_name(t, name);
	t->id = __atomic_add_fetch(&next_thread_id, 1, __ATOMIC_RELAXED);
	t->fn = fn;
	t->arg = arg;
	t->stack_base = base;
	t->pinned = pinned;
	t->canary = THREAD_CANARY;
	struct initial_frame *f = (struct initial_frame *)(uintptr_t)(base + KSTACK_SIZE) - 1;
	*f = (struct initial_frame){ .r12 = (u64)(uintptr_t)t, .rflags = RFLAGS_FIXED1,
				     .ret = (u64)(uintptr_t)kthread_entry };
	t->sp = (u64)(uintptr_t)f;
	return t;
}

static struct thread *create(const char *name, void (*fn)(void *), void *arg, int cpu, bool joinable)
{
	if (cpu != KTHREAD_ANY_CPU && ((u32)cpu >= cpu_count || !percpu_table[cpu].online))
		panic("kthread_create(%s): CPU %d is not online", name, cpu);
	struct thread *t = kthread_new(name, fn, arg, cpu != KTHREAD_ANY_CPU);
	if (t) {
		t->joinable = joinable;
		sched_enqueue_new(t, cpu);
	}
	return t;
}

struct thread *kthread_create(const char *name, void (*fn)(void *), void *arg, int cpu)
{
	return create(name, fn, arg, cpu, false);
}

struct thread *kthread_create_joinable(const char *name, void (*fn)(void *), void *arg, int cpu)
{
	return create(name, fn, arg, cpu, true);
}

/*
 * The exiting thread sets `exited` then reads `joiner`; the joiner sets
 * `joiner` then reads `exited` (both sequentially consistent): one of
 * them sees the other, so the joiner never blocks past the exit.
 */
void kthread_join(struct thread *t)
{
	__atomic_store_n(&t->joiner, sched_current(), __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&t->exited, __ATOMIC_SEQ_CST))
		sched_block(0);
	/* It is on its way out: wait until its CPU has switched off its stack. */
	while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_DEAD ||
	       __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		sched_yield();
	kthread_free(t);
}

void kthread_adopt(struct thread *t, const char *name, u32 cpu)
{
	memset(t, 0, sizeof(*t));
	set_name(t, name);
	t->id = __atomic_add_fetch(&next_thread_id, 1, __ATOMIC_RELAXED);
	t->state = THREAD_RUNNING;
	t->on_cpu = 1;
	t->cpu = cpu;
	t->pinned = true;
	t->canary = THREAD_CANARY;
}

/* Called from kthread_entry (switch.asm) on the new stack, interrupts off. */
void kthread_first_run(struct thread *t) __attribute__((noreturn));
void kthread_first_run(struct thread *t)
{
	sti();
	t->fn(t->arg);
	kthread_exit();
}

void kthread_exit(void)
{
	struct thread *t = sched_current();
	if (t->joinable) {
		__atomic_store_n(&t->exited, 1, __ATOMIC_SEQ_CST);
		struct thread *joiner = __atomic_load_n(&t->joiner, __ATOMIC_SEQ_CST);
		if (joiner)
			sched_wake(joiner);
	}
	cli();
	sched_exit_current();
}

void kthread_check_canary(const struct thread *t)
{
	if (t->canary != THREAD_CANARY)
		panic("kernel thread '%s' overflowed its stack", t->name);
}

void kthread_free(struct thread *t)
{
	if (t->stack_base && palloc_free(t->stack_base, KSTACK_SIZE / PAGE_SIZE))
		panic("kthread_free: stack of thread %u was not allocated", t->id);
}
