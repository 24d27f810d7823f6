/* Expected to die: with an empty IDT the #UD cannot be delivered (#GP), nor
 * can the #GP (#DF), nor the #DF: a triple fault, which ends the VM. Prints
 * no plan, so the only verdict is the way it ends. */
#include "guest.h"

void test_main(void)
{
	struct __attribute__((packed)) {
		u16 limit;
		u64 base;
	} empty_idt = { 0, 0 };
	diag("loading an empty IDT and raising #UD: the VM must end by triple fault");
	serial_flush();
	__asm__ volatile("lidt %0; ud2" ::"m"(empty_idt));
	bail_out("survived an exception with an empty IDT");
}
