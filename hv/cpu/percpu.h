/*
 * Per-CPU data. Each CPU finds its own `struct percpu` through the GS base
 * MSR (this_cpu() reads %gs:0, a pointer to itself). Consequence for the
 * vendor backends: the host GS base must survive a VM exit (VT-x: host-state
 * GS base = rdmsr(GS_BASE) on the CPU that runs the VMCS; SVM: keep GS out of
 * VMLOAD/VMSAVE or reload it after).
 */
#ifndef HV_PERCPU_H
#define HV_PERCPU_H

#include "hv/cpu/acpi.h"
#include "hv/sched/runqueue.h"
#include "mm/spinlock.h"
#include "types.h"

#define MAX_CPUS ACPI_MAX_CPUS
#define KSTACK_SIZE (16 * 1024) /* boot/idle stacks and kernel thread stacks */

struct thread;
struct vcpu;

struct percpu {
	struct percpu *self;  /* offset 0: what this_cpu() loads through %gs */
	u32 id;               /* 0 .. cpu_count-1; the BSP is 0 */
	u32 apic_id;
	u32 online;           /* set by the CPU itself once it runs the scheduler */
	u64 boot_stack_top;   /* the stack the CPU started on; becomes its idle thread's */

	/* Scheduler state (hv/sched/sched.c); lock protects ready, sleepers and zombies. */
	struct spinlock lock;
	struct rq ready;      /* READY threads, FIFO */
	struct rq sleepers;   /* timed sleepers, sorted by deadline */
	struct rq zombies;    /* exited threads whose stacks wait to be freed */
	u32 nr_ready;         /* ready.len, readable without the lock (placement) */
	struct thread *current;
	struct thread *idle;
	u32 need_resched;     /* set by tick/IPI, acted on when the interrupt returns */
	u64 ticks;            /* scheduler ticks taken (SCHED_HZ) */
	u64 next_tick_ns;     /* when the next tick is due (the timer runs one-shot, sched.c) */
	u64 guest_deadline_ns;/* the running vCPU's next APIC timer expiry, 0: none */
	u64 armed_ns;         /* what the host APIC timer is armed for */
	u64 slice_start;      /* ticks value when current was switched in */
	u64 kicks;            /* kick IPIs taken (hv/cpu/kick.h) */

	void *vendor;         /* the backend's per-CPU state (VMXON region, host-save area) */

	/* Guest register state this CPU holds (hv/vm/guest_switch.c; interrupts off) */
	struct vcpu *guest_owner; /* whose FPU/SSE/AVX, DR0-3, DR6, TSC_AUX are live here; NULL: nobody's */
	u64 guest_xcr0;           /* XCR0 as last written here */
	u64 guest_vm_serial;      /* the VM that last ran here (vm->serial), for vm_switch_flush */
};

extern struct percpu percpu_table[MAX_CPUS];
extern u32 cpu_count; /* CPUs in percpu_table (online or being started) */

/* Points this CPU's GS base at c (GS base is per CPU and survives a GDT reload). */
void percpu_bind(struct percpu *c);

static inline struct percpu *this_cpu(void)
{
	struct percpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

#endif
