/*
 * A VM's console: bytes from its COM1 or the console hypercall, printed a
 * line at a time as "[name] line", each line also fed to the VM's TAP
 * tracker (hv/runner/tap.h) for the verdict.
 */
#ifndef HV_GUEST_CONSOLE_H
#define HV_GUEST_CONSOLE_H

#include "types.h"

struct vm;

#define GUEST_LINE_MAX 200 /* a longer line is printed in pieces */

struct guest_console {
	char line[GUEST_LINE_MAX];
	u32 len;
};

void guest_console_write(struct vm *vm, const char *buf, size_t len);
/* Print what is left of an unfinished line (when the VM stops). */
void guest_console_flush(struct vm *vm);

#endif
