#include "guest.h"

/* Called by the entry stubs (entry16/32/64.asm) with the boot magic and the
 * multiboot info address as the loader left them in EAX and EBX. */
__attribute__((noreturn)) void runtime_start(u32 magic, u32 info)
{
	serial_init();
	idt_init();
	multiboot_init(magic, info);
	test_main();
	tap_finish();
}
