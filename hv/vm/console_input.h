/*
 * The operator's keyboard for one VM at a time: bytes received on the
 * hypervisor's COM1 go to the guest's COM1 (hv/devices/uart.h) of the VM
 * that owns console input. A VM asks for it with `console_input=on` in its
 * config line; the first such VM to start owns it until it stops, and one
 * starting meanwhile is told it has none. A worker thread polls COM1 every
 * 10 ms while the owner runs, and keeps what the guest's FIFO cannot take
 * yet.
 */
#ifndef HV_CONSOLE_INPUT_H
#define HV_CONSOLE_INPUT_H

#include "types.h"

struct vm;

/* At the VM's start, before its vCPUs run: takes console input when its config asks and
 * nobody has it (its console is then raw, hv/vm/guest_console.h). False: out of memory. */
bool console_input_start(struct vm *vm);
/* After the VM stopped: waits for its worker and gives console input back. */
void console_input_stop(struct vm *vm);

#endif
