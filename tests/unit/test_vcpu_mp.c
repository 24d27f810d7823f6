/* INIT, SIPI and HLT: the vCPU multiprocessor state machine (hv/vm/vcpu_mp.c). */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/vm/vm.h"

/* --- what vcpu_mp.c calls outside itself, recorded --- */
static enum vm_outcome stopped_as;
static u32 wakes, lapic_resets;
static u16 start_cs, start_ip;
static bool started;

void vm_stop(struct vm *vm, enum vm_outcome outcome, u32 status)
{
	vm->outcome = outcome;
	stopped_as = outcome;
}
void vcpu_wake(struct vcpu *vcpu) { wakes++; }
void guest_kick(struct guest_presence *p) {}
void vlapic_init_signal(struct vcpu *vcpu) { lapic_resets++; }
/* Interrupts that wake a halted vCPU (hv/vm/vcpu_intr.c): set per test. */
static bool wakes_hlt, timer_can_wake;
bool vcpu_intr_wakes_hlt(const struct vcpu *vcpu) { return wakes_hlt; }
bool vcpu_intr_timer_can_wake(const struct vcpu *vcpu) { return timer_can_wake; }
void vcpu_reset_real(struct vcpu *vcpu, u16 cs, u16 ip)
{
	start_cs = cs;
	start_ip = ip;
	started = true;
}

static struct vm vm;

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.nvcpus = 3;
	for (u32 i = 0; i < vm.nvcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vcpu_mp_reset(&vm.vcpus[i]);
	}
	stopped_as = VM_RUNNING;
	wakes = lapic_resets = 0;
	wakes_hlt = timer_can_wake = false;
	started = false;
	return 0;
}

static void test_reset(void **state)
{
	assert_int_equal(vm.vcpus[0].mp_state, VCPU_RUNNABLE);
	assert_int_equal(vm.vcpus[1].mp_state, VCPU_WAIT_SIPI);
	assert_int_equal(vm.vcpus[2].mp_state, VCPU_WAIT_SIPI);
}

static void test_init_sipi_starts_at_vector(void **state)
{
	struct vcpu *ap = &vm.vcpus[1];

	vcpu_send_init(ap);
	vcpu_send_sipi(ap, 0x08);
	assert_true(ap->requests & VCPU_REQ_EVENT);
	assert_int_equal(wakes, 2);
	vcpu_mp_events(ap);
	assert_int_equal(ap->mp_state, VCPU_RUNNABLE);
	assert_true(started);
	assert_int_equal(start_cs, 0x0800); /* CS = vector << 8, IP = 0: the page vector << 12 */
	assert_int_equal(start_ip, 0);
	assert_int_equal(lapic_resets, 1);
}

/* A SIPI counts only for a vCPU waiting for one (after INIT). */
static void test_sipi_ignored_when_running(void **state)
{
	vcpu_send_sipi(&vm.vcpus[0], 0x10);
	assert_false(vm.vcpus[0].sipi_pending);
	assert_int_equal(wakes, 0);
	vcpu_mp_events(&vm.vcpus[0]);
	assert_false(started);
	assert_int_equal(vm.vcpus[0].mp_state, VCPU_RUNNABLE);
}

/* INIT after a SIPI drops that SIPI: the next one decides. */
static void test_init_cancels_earlier_sipi(void **state)
{
	struct vcpu *ap = &vm.vcpus[2];

	vcpu_send_sipi(ap, 0x08); /* waiting since reset: accepted */
	vcpu_send_init(ap);
	vcpu_mp_events(ap);
	assert_false(started);
	assert_int_equal(ap->mp_state, VCPU_WAIT_SIPI);
}

static void test_halt_of_the_last_runnable_vcpu_halts_the_vm(void **state)
{
	vcpu_halt(&vm.vcpus[0]); /* the others wait for a SIPI nobody can send */
	assert_int_equal(stopped_as, VM_HALTED);
}

static void test_halt_with_another_running(void **state)
{
	struct vcpu *ap = &vm.vcpus[1];

	vcpu_send_init(ap);
	vcpu_send_sipi(ap, 0x08);
	vcpu_mp_events(ap);
	vcpu_halt(&vm.vcpus[0]);
	assert_int_equal(stopped_as, VM_RUNNING); /* vCPU 1 still runs */
	vcpu_halt(ap);
	assert_int_equal(stopped_as, VM_HALTED);
}

/* A posted INIT can still change things: no verdict until it is handled. */
static void test_posted_init_keeps_the_vm_alive(void **state)
{
	vcpu_send_init(&vm.vcpus[1]);
	vcpu_halt(&vm.vcpus[0]);
	assert_int_equal(stopped_as, VM_RUNNING);
	vcpu_mp_events(&vm.vcpus[1]); /* now waiting for a SIPI, and nobody runs */
	assert_int_equal(stopped_as, VM_HALTED);
}

/* `sti; hlt` with an interrupt it can take: HLT returns at once. */
static void test_halt_with_interrupt_pending_returns(void **state)
{
	wakes_hlt = true;
	vcpu_halt(&vm.vcpus[0]);
	assert_int_equal(vm.vcpus[0].mp_state, VCPU_RUNNABLE);
	assert_int_equal(stopped_as, VM_RUNNING);
}

/* Halted with IF=1 and its timer armed: not the end of the VM. */
static void test_halt_with_timer_armed_keeps_the_vm_alive(void **state)
{
	timer_can_wake = true;
	vcpu_halt(&vm.vcpus[0]);
	assert_int_equal(vm.vcpus[0].mp_state, VCPU_HALTED);
	assert_int_equal(stopped_as, VM_RUNNING);
	timer_can_wake = false; /* e.g. the guest's timer was one-shot and it halted again with IF=0 */
	vcpu_halt(&vm.vcpus[0]);
	assert_int_equal(stopped_as, VM_HALTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test_setup(test_init_sipi_starts_at_vector, setup),
		cmocka_unit_test_setup(test_sipi_ignored_when_running, setup),
		cmocka_unit_test_setup(test_init_cancels_earlier_sipi, setup),
		cmocka_unit_test_setup(test_halt_of_the_last_runnable_vcpu_halts_the_vm, setup),
		cmocka_unit_test_setup(test_halt_with_another_running, setup),
		cmocka_unit_test_setup(test_posted_init_keeps_the_vm_alive, setup),
		cmocka_unit_test_setup(test_halt_with_interrupt_pending_returns, setup),
		cmocka_unit_test_setup(test_halt_with_timer_armed_keeps_the_vm_alive, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
