/* The operator's keyboard to the VM that owns it (hv/vm/console_input.h). */
#include "hv/vm/console_input.h"
#include "hv/vm/vm.h"
#include "hv/console/serial.h"
#include "hv/console/console.h"
#include "hv/sched/kthread.h"
#include "hv/sched/sched.h"
#include "kstring.h"

#define POLL_NS 10000000ull /* 10 ms: typing feels immediate, an idle poll costs nothing */
#define PENDING_MAX 256     /* a pasted line waits here while the guest's 16-byte FIFO drains */

static struct vm *owner; /* the VM that owns input, or NULL; changed by compare-and-swap */

static void worker(void *arg)
{
	struct vm *vm = arg;
	u8 pending[PENDING_MAX];
	size_t n = 0;
	int c;

	while (!vm_stopped(vm)) {
		while (n < sizeof(pending) && (c = serial_getc()) >= 0)
			pending[n++] = (u8)c;
		if (n) {
			spin_lock(&vm->lock); /* the guest's devices are under the VM's lock */
			size_t taken = uart_receive(vm, pending, n);
			spin_unlock(&vm->lock);
			memmove(pending, pending + taken, n - taken);
			n -= taken;
		}
		sched_sleep_ns(POLL_NS);
	}
}

bool console_input_start(struct vm *vm)
{
	struct vm *none = NULL;

	if (!vm->cfg->console_input)
		return true;
	if (!__atomic_compare_exchange_n(&owner, &none, vm, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kprintf("hv: VM %s: console input stays with VM %s\n", vm->name, none->name);
		return true;
	}
	vm->input_thread = kthread_create_joinable("console-input", worker, vm, KTHREAD_ANY_CPU);
	if (!vm->input_thread) {
		__atomic_store_n(&owner, NULL, __ATOMIC_RELEASE);
		return false;
	}
	vm->console.raw = true;
	kprintf("hv: VM %s: owns console input (keys typed here go to its COM1; its output is shown raw)\n",
		vm->name);
	return true;
}

void console_input_stop(struct vm *vm)
{
	if (!vm->input_thread)
		return;
	kthread_join(vm->input_thread);
	vm->input_thread = NULL;
	__atomic_store_n(&owner, NULL, __ATOMIC_RELEASE);
}
