/* hv_exit: print the status, flush the console, then end the machine the way
 * the environment understands (an emulator's exit port, or halt/reset). */
#include "hv/hv_exit.h"
#include "hv/console/console.h"
#include "hv/console/serial.h"
#include "hv/cpu/cpu.h"

#define QEMU_DEBUG_EXIT_PORT 0xF4 /* -device isa-debug-exit,iobase=0xf4,iosize=4 */
#define QEMU_FW_CFG_SELECTOR 0x510
#define QEMU_FW_CFG_DATA 0x511
#define BOCHS_E9_PORT 0xE9        /* port_e9_hack: reads back 0xE9 */
#define BOCHS_MAGIC_BREAK 0x8A00  /* 0x8A00 then 0x8AE0: break into the debugger (rc: quit) */
#define BOCHS_SHUTDOWN_PORT 0x8900
#define RESET_CONTROL_PORT 0xCF9

static enum exit_method exit_method = EXIT_AUTO;

void hv_exit_set_method(enum exit_method m)
{
	exit_method = m;
}

/* QEMU's fw_cfg device answers selector 0 (signature) with "QEMU". */
static bool running_on_qemu(void)
{
	static const char sig[] = "QEMU";
	outw(QEMU_FW_CFG_SELECTOR, 0);
	for (int i = 0; i < 4; i++)
		if (inb(QEMU_FW_CFG_DATA) != (u8)sig[i])
			return false;
	return true;
}

static bool running_on_bochs(void)
{
	return inb(BOCHS_E9_PORT) == BOCHS_E9_PORT;
}

static enum exit_method detect_method(void)
{
	if (running_on_qemu())
		return EXIT_QEMU;
	if (running_on_bochs())
		return EXIT_BOCHS;
	return EXIT_HALT;
}

static void exit_qemu(int status)
{
	/* QEMU exits with (status << 1) | 1; tools/run-qemu.sh undoes that. */
	outl(QEMU_DEBUG_EXIT_PORT, (u32)status);
}

static void exit_bochs(int status)
{
	if (status == 0) {
		outw(BOCHS_MAGIC_BREAK, 0x8A00);
		outw(BOCHS_MAGIC_BREAK, 0x8AE0);
	} else {
		for (const char *s = "Shutdown"; *s; s++)
			outb(BOCHS_SHUTDOWN_PORT, (u8)*s);
	}
}

static void exit_reset(void)
{
	outb(RESET_CONTROL_PORT, 0x02);
	outb(RESET_CONTROL_PORT, 0x06); /* full reset via the chipset's reset control register */
}

void hv_exit(int status)
{
	cli();
	enum exit_method m = exit_method == EXIT_AUTO ? detect_method() : exit_method;
	kprintf("hv: exit status %d\n", status);
	serial_drain();
	if (m == EXIT_QEMU)
		exit_qemu(status);
	else if (m == EXIT_BOCHS)
		exit_bochs(status);
	else if (m == EXIT_RESET)
		exit_reset();
	/* Halt, or the chosen method did not stop the machine. */
	if (m != EXIT_HALT) {
		kprintf("hv: exit method did not stop the machine; halting\n");
		serial_drain();
	}
	for (;;)
		hlt();
}
