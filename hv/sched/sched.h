/*
 * The scheduler: one ready queue per CPU, round robin with a time slice
 * ended by the APIC timer tick (preemption), an idle thread per CPU that
 * halts with interrupts on. Threads migrate only when woken (unpinned
 * threads go to the least loaded CPU); a preempted thread stays on its CPU.
 *
 * Locking: each CPU's queues are protected by percpu.lock, always taken
 * with interrupts off, never two at once. this_cpu() is stable only with
 * interrupts off (a thread may move CPUs across a block).
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include "hv/sched/kthread.h"
#include "hv/cpu/percpu.h"
#include "types.h"

#define SCHED_HZ 100          /* timer ticks per second */
#define SCHED_SLICE_TICKS 2   /* a thread runs at most this long when others wait */

/* BSP: the running boot context becomes thread "main"; creates CPU 0's idle thread. */
void sched_init_bsp(void);
/* Starts this CPU's tick and enables interrupts (BSP, after the IDT gates are in). */
void sched_start_tick(void);
/* AP: the boot context becomes this CPU's idle thread; marks the CPU online. Never returns. */
void sched_run_ap(void) __attribute__((noreturn));

struct thread *sched_current(void);
/* Lets other ready threads on this CPU run first (a pause before sched_init_bsp). */
void sched_yield(void);
/*
 * Blocks the calling thread until sched_wake() (returns true) or, when
 * deadline_ns is not 0, until time_now_ns() >= deadline_ns (returns false).
 * May return early (a wake-up meant for an earlier wait): callers loop on
 * their condition.
 */
bool sched_block(u64 deadline_ns);
/* Makes t runnable if it is blocked; otherwise its next sched_block returns at once. */
void sched_wake(struct thread *t);
/* Sleeps at least ns nanoseconds (the timer is armed for the deadline). */
void sched_sleep_ns(u64 ns);
/* A vCPU about to enter its guest (interrupts off): this CPU's timer also
 * fires at deadline_ns (its APIC timer), forcing an exit; 0: none. */
void sched_set_guest_deadline(u64 deadline_ns);
/* True when this CPU has other threads waiting and the current one's slice is used up. */
bool sched_should_yield(void);

/* Interrupt side (hv/cpu/irq.c), interrupts off. */
void sched_tick(void);
void sched_request_resched(void);
void sched_preempt_point(void);

/* Scheduler internals used by kthread.c: place a new thread. */
void sched_enqueue_new(struct thread *t, int cpu);
/* kthread_exit's second half: never returns. */
void sched_exit_current(void) __attribute__((noreturn));

#endif
