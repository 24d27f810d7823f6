/*
 * A VM's console: bytes from its COM1 or the console hypercall, printed a
 * line at a time as "[name] line", each line also fed to the VM's TAP
 * tracker (hv/runner/tap.h) for the verdict. The VM that owns console input
 * (hv/vm/console_input.h) is printed raw instead, byte by byte and without
 * the prefix: an interactive shell's prompt and echo have no newline.
 */
#ifndef HV_GUEST_CONSOLE_H
#define HV_GUEST_CONSOLE_H

#include "types.h"

struct vm;

#define GUEST_LINE_MAX 200 /* a longer line is printed in pieces */

struct guest_console {
	char line[GUEST_LINE_MAX];
	u32 len;
	bool raw; /* set before the VM runs, when it owns console input */
};

void guest_console_write(struct vm *vm, const char *buf, size_t len);
/* Print what is left of an unfinished line (when the VM stops). */
void guest_console_flush(struct vm *vm);

#endif
