/*
 * A vCPU's multiprocessor state: running, halted, or waiting for a SIPI
 * after INIT (GUEST-PLATFORM.md). The bootstrap vCPU starts running at the
 * image's entry; every other one waits until another vCPU sends it INIT
 * then a start-up IPI through its local APIC (hv/devices/vlapic.c), and then starts
 * in real mode at CS = vector << 8, IP = 0, as on hardware.
 *
 * The state changes only on the vCPU's own thread, under vm->lock; other
 * vCPUs post INIT/SIPI under the same lock and wake it. A VM none of whose
 * vCPUs can run again (all halted or waiting, nothing posted) has halted.
 */
#ifndef HV_VCPU_MP_H
#define HV_VCPU_MP_H

#include "types.h"

struct vcpu;

enum vcpu_mp_state { VCPU_RUNNABLE, VCPU_HALTED, VCPU_WAIT_SIPI };

/* At VM creation: vCPU 0 runnable, the others waiting for a SIPI. */
void vcpu_mp_reset(struct vcpu *vcpu);

/* Under vm->lock, from another vCPU of the same VM. */
void vcpu_send_init(struct vcpu *target);
void vcpu_send_sipi(struct vcpu *target, u8 vector);

/* Something was posted to t (INIT, SIPI, an interrupt, an NMI): it looks before it
 * next enters the guest; kicked out of guest mode, woken if it sleeps. Under vm->lock. */
void vcpu_mp_notify(struct vcpu *t);

/* Under vm->lock, on the vCPU's thread: HLT. An NMI, an interrupt it can take
 * (IF=1), INIT or its timer wake it (hv/vm/vcpu_intr.c). */
void vcpu_halt(struct vcpu *vcpu);
/* On the vCPU's thread (takes vm->lock): applies a posted INIT, then a posted SIPI. */
void vcpu_mp_events(struct vcpu *vcpu);

/* "running", "halted", "waiting for SIPI" (a snapshot, for messages). */
const char *vcpu_mp_state_name(const struct vcpu *vcpu);

#endif
