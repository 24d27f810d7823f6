/*
 * Kicks: forcing a vCPU out of guest mode so that it sees a request.
 *
 * The protocol (the same shape as KVM's vcpu->mode), for a vCPU thread and
 * a requester on another CPU:
 *   vCPU loop, with interrupts disabled right before each entry:
 *       guest_presence_enter(p);            publish "in guest mode" ...
 *       if (requests pending) { guest_presence_leave(p); enable interrupts; handle; retry; }
 *       enter the guest; ... exit;
 *       guest_presence_leave(p);
 *   requester:
 *       set the request bit (an atomic RMW);
 *       guest_kick(p) or guest_kick_and_wait(p);
 * Both sides use sequentially consistent atomics, so either the vCPU sees
 * the request before it enters, or the requester sees it in guest mode and
 * its IPI forces an exit. The backend must let a physical interrupt force
 * that exit even though interrupts were disabled before entry: VT-x with
 * external-interrupt exiting does; SVM needs CLGI; STI; VMRUN; CLI; STGI
 * (with V_INTR_MASKING the host's IF at VMRUN masks physical interrupts).
 */
#ifndef HV_KICK_H
#define HV_KICK_H

#include "types.h"

struct guest_presence {
	u32 cpu;    /* index of the CPU the vCPU's (pinned) thread runs on */
	u64 state;  /* bit 0: in guest mode; bits 63:1: guest-mode periods ended */
};

void guest_presence_enter(struct guest_presence *p);
void guest_presence_leave(struct guest_presence *p);
bool guest_presence_in_guest(const struct guest_presence *p);

/* After setting a request: an IPI to p->cpu when the vCPU is in guest mode. */
void guest_kick(struct guest_presence *p);
/* The same, then waits until the vCPU has left guest mode (it handles the
 * request before it enters again). Returns at once (false) when it was not
 * inside; true when it kicked. */
bool guest_kick_and_wait(struct guest_presence *p);

/* A kick IPI to CPU cpu (its only effect: a VM exit, or an interrupt taken). */
void kick_cpu(u32 cpu);
/* Kick IPIs this CPU has taken (statistics and the scheduler self-test). */
u64 kicks_received(u32 cpu);

#endif
