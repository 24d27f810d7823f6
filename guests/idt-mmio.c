/*
 * Must be stopped: the IDT is moved to guest-physical 0x40000000, where no
 * RAM is, and a MOV through a non-canonical address raises #GP. Delivering
 * it reads the IDT: a second-level fault taken during event delivery, not
 * the MOV's own access. The hypervisor must not emulate the MOV at RIP as
 * if it had touched 0x40000000 (the guest would see a load "succeed" and no
 * #GP); it stops the VM naming the event delivery
 * (tools/check-attacks.sh checks the message).
 */
#include "guest.h"

struct __attribute__((packed)) dtr { u16 limit; u64 base; };

void test_main(void)
{
	struct dtr idt = { 0xfff, 0x40000000ul };
	u32 value = 0x12345678;

	plan(1);
	__asm__ volatile("lidt %0" : : "m"(idt));
	__asm__ volatile("movl (%1), %0" : "+r"(value) : "r"(0x8000000000000000ul) : "memory");
	/* Only reached when the load was emulated instead of the #GP delivered. */
	ok(false, "hv: a #GP whose IDT is MMIO is not turned into an emulated load (got 0x%x)", value);
}
