/*
 * Kernel threads: a function running on its own stack under the scheduler
 * (hv/sched/sched.h). A thread is pinned to one CPU (vCPU threads) or may run on
 * any (workers: placed on the least loaded CPU each time it is created or
 * woken). The struct lives at the bottom of the thread's stack, guarded by
 * a canary that the scheduler checks on every switch.
 */
#ifndef HV_KTHREAD_H
#define HV_KTHREAD_H

#include "hv/sched/runqueue.h"
#include "types.h"

#define KTHREAD_ANY_CPU (-1)
#define KTHREAD_NAME_MAX 24

enum thread_state {
	THREAD_RUNNING, /* some CPU's current thread */
	THREAD_READY,   /* on a CPU's ready queue */
	THREAD_BLOCKED, /* waiting for sched_wake() or its deadline (then on the sleepers queue) */
	THREAD_WAKING,  /* being moved to another CPU by sched_wake() */
	THREAD_DEAD,    /* exited; its stack is freed once no CPU runs on it */
};

struct thread {
	u64 sp;             /* saved stack pointer while not running (hv/sched/switch.asm) */
	u32 on_cpu;         /* 1 from being switched in until its context is fully saved */
	u32 state;          /* enum thread_state; changed under its CPU's lock */
	u32 cpu;            /* the CPU whose queues hold it, or that runs it */
	bool pinned;
	bool wake_pending;  /* a wake-up came while it was not blocked: the next block returns at once */
	bool joinable;      /* freed by kthread_join, never put on zombies */
	u32 exited;         /* joinable: set when fn has returned (then it only switches away) */
	struct thread *joiner; /* joinable: the thread waiting in kthread_join, or NULL */
	struct rq_node node;/* on one of: ready, sleepers, zombies of `cpu` */
	u64 stack_base;     /* its pages (0: a CPU's boot stack, never freed) */
	void (*fn)(void *);
	void *arg;
	u32 id;
	char name[KTHREAD_NAME_MAX];
	u64 canary;         /* last: the first thing a stack overflow overwrites */
};

/*
 * A new thread that runs fn(arg) with interrupts on; returning from fn
 * exits the thread. cpu: an online CPU index to pin it there, or
 * KTHREAD_ANY_CPU. Returns NULL when memory is short.
 */
struct thread *kthread_create(const char *name, void (*fn)(void *), void *arg, int cpu);

/*
 * The same, but the thread is not freed when it exits: exactly one
 * kthread_join(t) waits for it and frees it. For a thread whose memory must
 * be back before the caller goes on (a VM's vCPUs, its MMU worker).
 */
struct thread *kthread_create_joinable(const char *name, void (*fn)(void *), void *arg, int cpu);
/* Waits until t has exited and no CPU runs on its stack, then frees it. */
void kthread_join(struct thread *t);

/* The same thread, not yet on any run queue (idle threads stay off them). */
struct thread *kthread_new(const char *name, void (*fn)(void *), void *arg, bool pinned);

/* Ends the calling thread (its stack is freed later by the scheduler). */
void kthread_exit(void) __attribute__((noreturn));

/* Makes the code running on a CPU's boot stack a thread (t is caller storage). */
void kthread_adopt(struct thread *t, const char *name, u32 cpu);

/* Scheduler internals: stack canary check and freeing an exited thread. */
void kthread_check_canary(const struct thread *t);
void kthread_free(struct thread *t);

#endif
