/*
 * A VM's console: bytes from its COM1 or the console hypercall, printed a
 * line at a time as "[name] line", each line also fed to the VM's TAP
 * tracker (hv/runner/tap.h) for the verdict. The VM that owns console input
 * (hv/vm/console_input.h) is printed raw instead, byte by byte and without
 * the prefix: an interactive shell's prompt and echo have no newline.
 *
 * A guest is hostile: its bytes reach the operator's terminal only as
 * printable ASCII and tab (anything else, escape sequences included, is
 * printed as '?', counted in hc_stats.console_filtered), and at most
 * `rate` lines per second are printed, in bursts of up to 2 * rate (the
 * rest are counted in hc_stats.console_dropped and announced once printing
 * resumes). Every line still reaches the TAP tracker. The raw VM is the
 * operator's own choice and is neither filtered nor limited.
 */
#ifndef HV_GUEST_CONSOLE_H
#define HV_GUEST_CONSOLE_H

#include "types.h"

struct vm;

#define GUEST_LINE_MAX 200 /* a longer line is printed in pieces */
#define CONSOLE_RATE_DEFAULT 1000 /* lines per second (command-line key console_rate) */

struct guest_console {
	char line[GUEST_LINE_MAX];
	u32 len;
	u32 rate;         /* lines per second printed at most; 0: no limit */
	u64 tokens;       /* lines that may be printed now, at most 2 * rate */
	u64 refill_ns;    /* time_now_ns() when tokens were last topped up */
	u64 dropped;      /* lines not printed since the last printed one */
	bool raw; /* set before the VM runs, when it owns console input */
};

/* Before the first byte: the line budget (lines per second, 0: no limit). */
void guest_console_init(struct vm *vm, u32 rate);
void guest_console_write(struct vm *vm, const char *buf, size_t len);
/* Print what is left of an unfinished line (when the VM stops). */
void guest_console_flush(struct vm *vm);

#endif
